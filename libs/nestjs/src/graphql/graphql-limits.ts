import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, ExecutionArgs, FragmentDefinitionNode, GraphQLError, GraphQLSchema, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** Limits on one GraphQL operation, checked after parsing and validation, before anything runs. */
export interface GraphQLLimits {
  /** Deepest selection (fields nested in fields). @default 8 */
  maxDepth?: number;
  /** Cost of one operation: 1 per field, list fields multiplied by their `limit`. @default 1000 */
  maxComplexity?: number;
}

/** One operation as both transports see it. */
interface Operation {
  schema: GraphQLSchema;
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/**
 * The first limit an operation breaks, as a GraphQL error with `extensions.code`
 * (`query_too_deep`, `query_too_complex`), or null. Runs where the variables are known (a
 * validation rule is not: a `limit` passed by variable must count at its value).
 *
 * Depth is a dozen lines, so no dependency (graphql-depth-limit has had no release since 2021);
 * complexity uses graphql-query-complexity, maintained and the estimator Nest's docs use:
 * `complexity` on `@Query`/`@Field` first, else 1 per field.
 */
export function limitError(op: Operation, limits: GraphQLLimits = {}): GraphQLError | null {
  const maxDepth = limits.maxDepth ?? 8;
  const maxComplexity = limits.maxComplexity ?? 1000;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of op.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = op.document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!op.operationName || d.name?.value === op.operationName),
  );
  if (!operation) return null;
  const depth = selectionDepth(operation.selectionSet, fragments, new Set());
  if (depth > maxDepth) return new GraphQLError(`operation is ${depth} levels deep; the limit is ${maxDepth}`, { extensions: { code: 'query_too_deep' } });
  const cost = getComplexity({
    schema: op.schema,
    query: op.document,
    variables: op.variables ?? {},
    operationName: op.operationName ?? undefined,
    estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
  });
  if (cost > maxComplexity) return new GraphQLError(`operation costs ${cost}; the limit is ${maxComplexity}`, { extensions: { code: 'query_too_complex' } });
  return null;
}

function selectionDepth(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!set) return 0;
  let deepest = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) deepest = Math.max(deepest, s.selectionSet ? 1 + selectionDepth(s.selectionSet, fragments, seen) : 1);
    else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, selectionDepth(s.selectionSet, fragments, seen));
    // A fragment inside itself is refused by GraphQL's NoFragmentCycles rule; never recurse on it here.
    else if (!seen.has(s.name.value)) deepest = Math.max(deepest, selectionDepth(fragments.get(s.name.value)?.selectionSet, fragments, new Set([...seen, s.name.value])));
  }
  return deepest;
}

/** The limits on HTTP operations (Apollo): refused with a 400 before any resolver runs. */
export function limitsPlugin(limits?: GraphQLLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          const error = limitError({ schema, document, variables: request.variables, operationName }, limits);
          // Apollo answers an error thrown here with 500 unless told: it is the client's request at fault.
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

/**
 * graphql-js `subscribe` or `execute` with the limits checked first: graphql-ws calls these itself
 * for every operation sent over the socket, past Apollo's plugins.
 */
export function limitedExecution<R>(subscribe: (args: ExecutionArgs) => R, limits?: GraphQLLimits) {
  return (args: ExecutionArgs): R | { errors: GraphQLError[] } => {
    const error = limitError({ schema: args.schema, document: args.document, variables: args.variableValues, operationName: args.operationName }, limits);
    return error ? { errors: [error] } : subscribe(args);
  };
}

/** `complexity` of a list field taking `limit`: each item costs its children. */
export const perItem = (max = 100) => ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number =>
  (typeof args.limit === 'number' ? args.limit : max) * Math.max(1, childComplexity);
