import {
  ASTVisitor,
  FragmentDefinitionNode,
  GraphQLError,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from 'graphql';
import { createComplexityRule, fieldExtensionsEstimator, simpleEstimator } from 'graphql-query-complexity';

/** Limits on one GraphQL operation, checked before anything runs. */
export interface GraphQLLimits {
  /** Deepest selection (fields nested in fields). @default 8 */
  maxDepth?: number;
  /** Cost of one operation: 1 per field, list fields multiplied by their `limit`. @default 1000 */
  maxComplexity?: number;
}

/**
 * Depth limit as a validation rule: a dozen lines, so no dependency for it (graphql-depth-limit
 * has not been released since 2021 and ignores cycles through fragments, which this rule
 * refuses rather than recursing forever).
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      const depth = selectionDepth(context, operation.selectionSet, new Set());
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(`operation ${operation.name?.value ?? '(anonymous)'} is ${depth} levels deep; the limit is ${maxDepth}`, {
            nodes: [operation],
            extensions: { code: 'query_too_deep' },
          }),
        );
      }
    },
  });
}

function selectionDepth(context: ValidationContext, set: SelectionSetNode | undefined, fragments: Set<string>): number {
  if (!set) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    if (selection.kind === 'Field') {
      deepest = Math.max(deepest, selection.selectionSet ? 1 + selectionDepth(context, selection.selectionSet, fragments) : 1);
    } else if (selection.kind === 'InlineFragment') {
      deepest = Math.max(deepest, selectionDepth(context, selection.selectionSet, fragments));
    } else {
      const name = selection.name.value;
      // A fragment spread inside itself is refused by GraphQL's own NoFragmentCycles rule.
      if (fragments.has(name)) continue;
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      deepest = Math.max(deepest, selectionDepth(context, fragment?.selectionSet, new Set([...fragments, name])));
    }
  }
  return deepest;
}

/**
 * Complexity through graphql-query-complexity (maintained, the estimator Nest's docs use):
 * `@Field({ complexity })` or `@Query(..., { complexity })` estimators first, else 1 per field.
 * Validation sees no variables, so a `limit` given by variable counts as the maximum (100).
 */
export function complexityRule(maxComplexity: number): ValidationRule {
  return createComplexityRule({
    maximumComplexity: maxComplexity,
    estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    createError: (max, actual) => new GraphQLError(`operation costs ${actual}; the limit is ${max}`, { extensions: { code: 'query_too_complex' } }),
  });
}

/** `complexity` of a list field taking `limit`: each item costs its children. */
export const perItem = (max = 100) => ({ args, childComplexity }: { args: Record<string, unknown>; childComplexity: number }): number =>
  (typeof args.limit === 'number' ? args.limit : max) * Math.max(1, childComplexity);

/** The rules for both transports (HTTP through Apollo, subscriptions through graphql-ws). */
export function limitRules(limits: GraphQLLimits = {}): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth ?? 8), complexityRule(limits.maxComplexity ?? 1000)];
}
