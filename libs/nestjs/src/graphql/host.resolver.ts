import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';
import { Public } from '@streamfold/auth';
import type { ContextDefinition } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';

/**
 * The framework's own query: which contexts this host serves. It also keeps the schema valid
 * (GraphQL needs a Query type) on a host whose contexts contribute no resolvers yet.
 */
@Resolver()
export class HostResolver {
  constructor(@Inject(STREAMFOLD_CONTEXTS) private readonly contexts: ContextDefinition[]) {}

  @Public()
  @Query(() => [String], { description: 'names of the bounded contexts this host serves' })
  hostedContexts(): string[] {
    return this.contexts.map((c) => c.name);
  }
}
