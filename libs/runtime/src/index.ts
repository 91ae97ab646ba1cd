export * from './config';
export * from './database';
export * from './embedded-postgres';
export * from './infrastructure';
export * from './migrations/index';
export * from './startup-error';
