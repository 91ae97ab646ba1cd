export * from './config';
export * from './database';
export * from './embedded-postgres';
export * from './infrastructure';
export * from './metrics';
export * from './migrations';
export * from './runtime.module';
export * from './startup-error';
