export * from './auth.guard';
export * from './tokens';
export * from './write-rate-limit';
export * from './public-route';
