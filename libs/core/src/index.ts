export * from './decider';
export * from './envelope';
export * from './errors';
export * from './event-registry';
export * from './wire';
