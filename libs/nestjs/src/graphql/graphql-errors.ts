import { unwrapResolverError } from '@apollo/server/errors';
import { HttpException, Logger } from '@nestjs/common';
import { DomainError, InvalidEventPayload } from '@streamfold/core';
import { ExecutionResult, FormattedExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { ApiError, toApiError } from '../http/api-error';
import { toDomainErrorBody } from '../http/domain-exception.filter';
import { isUnavailable } from '../http/unavailable.filter';

const logger = new Logger('GraphQL');

/**
 * The REST error body of anything a resolver threw, so GraphQL and REST clients branch on the
 * same codes: domain errors, validation (with `field`), auth, the rate limit, an unavailable
 * store, and bugs as `internal_error` without their message.
 */
export function apiErrorOf(error: unknown): ApiError {
  if (error instanceof DomainError || error instanceof InvalidEventPayload) return toDomainErrorBody(error);
  if (error instanceof HttpException) return toApiError(error);
  if (isUnavailable(error)) return { statusCode: 503, error: 'unavailable', message: 'storage is unavailable; nothing was stored, retry later' };
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return { statusCode: 500, error: 'internal_error', message: 'Internal server error' };
}

/**
 * Apollo's `formatError` (and the graphql-ws `onNext` hook): a resolver's error in GraphQL's
 * shape with `extensions: { code, status, field? }`. Errors of GraphQL itself (parse, validation,
 * the depth and complexity limits) keep their own codes.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  // Stack traces stay in the logs, never in a response.
  if (original instanceof GraphQLError) return { ...formatted, extensions: withoutStack(formatted.extensions) };
  const body = apiErrorOf(original);
  const extensions: Record<string, unknown> = { code: body.error, status: body.statusCode };
  if (body.field) extensions.field = body.field;
  return { message: body.message, locations: formatted.locations, path: formatted.path, extensions };
}

/** Formats every error of an execution result (subscriptions over graphql-ws skip Apollo's formatError). */
export function formatResultErrors(result: ExecutionResult): FormattedExecutionResult {
  const { errors, ...rest } = result;
  if (!errors) return rest;
  return { ...rest, errors: errors.map((e) => formatGraphQLError(e.toJSON(), e)) };
}

function withoutStack(extensions: GraphQLFormattedError['extensions']): Record<string, unknown> | undefined {
  if (!extensions) return undefined;
  const { stacktrace: _, ...rest } = extensions as Record<string, unknown>;
  return rest;
}
