import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule } from '@nestjs/common';
import { GraphQLModule, GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import type { ServerOptions } from 'graphql-ws';
import type { StreamfoldConfig } from '@streamfold/runtime';
import { execute, ExecutionResult, subscribe } from 'graphql';
import { authenticateConnection, graphqlContext } from './graphql-context';
import { formatGraphQLError, formatResultErrors } from './graphql-errors';
import { GraphQLLimits, limitedExecution, limitsPlugin } from './graphql-limits';

/** Where the host serves GraphQL over HTTP (queries, mutations) and WebSocket (graphql-ws subscriptions). */
export const GRAPHQL_PATH = '/graphql';

/**
 * GraphQL for every hosted context, set up once by the host (`startServer`): code first, the
 * schema built in memory from the `@Resolver` providers that contexts' own modules declare,
 * so adding a context edits nothing here. The global guards (bearer auth, roles, the write rate
 * limit), pipes (validation) and filters apply to resolvers as to routes; errors carry the REST
 * codes in `extensions`; depth and complexity are limited on both transports.
 */
export function streamfoldGraphQL(config: StreamfoldConfig, limits?: GraphQLLimits): DynamicModule {
  return GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    path: GRAPHQL_PATH,
    autoSchemaFile: true,
    sortSchema: true,
    context: graphqlContext,
    // Our formatError maps Nest's HttpExceptions itself, with the same codes as REST.
    autoTransformHttpErrors: false,
    formatError: formatGraphQLError,
    plugins: [limitsPlugin(limits)],
    subscriptions: {
      // Nest types a subset of graphql-ws' ServerOptions and spreads all of them into useServer.
      'graphql-ws': <GraphQLWsSubscriptionsConfig & Pick<ServerOptions, 'subscribe' | 'execute'>>{
        path: GRAPHQL_PATH,
        onConnect: authenticateConnection(config.jwtSecret),
        // graphql-ws executes with its own calls: the same limits must hold there.
        subscribe: limitedExecution(subscribe, limits) as ServerOptions['subscribe'],
        execute: limitedExecution(execute, limits) as ServerOptions['execute'],
        onNext: (_ctx: unknown, _id: string, _payload: unknown, _args: unknown, result: ExecutionResult) => formatResultErrors(result),
      },
    },
  });
}
