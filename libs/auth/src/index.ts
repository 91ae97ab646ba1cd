export * from './auth.guard';
export * from './tokens';
