export * from './ops.module';
export * from './ops.context';
export * from './ops.topics';
export * from './domain/ops.events';
export * from './domain/histogram';
export * from './domain/error-rate';
