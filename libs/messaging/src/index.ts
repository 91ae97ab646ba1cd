export * from './message-log.port';
export * from './kafka-log';
export * from './embedded-log';
