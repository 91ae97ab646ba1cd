export * from './async-iterator';
export * from './graphql-args';
export * from './graphql-context';
export * from './graphql-errors';
export * from './graphql-limits';
export * from './graphql.module';
export * from './host.resolver';
