/**
 * The one seam where engine errors become client errors: a CacheGateError becomes a GraphQLError
 * carrying its `code` (and client-safe details) in `extensions`; anything unexpected becomes
 * "Unexpected error." with the request id, the original being logged, never sent.
 */
// `graphql/index.js`, not `graphql`: the same CommonJS build yoga and Pothos load under Node, so
// `instanceof GraphQLError` agrees with theirs also under vitest, which would resolve a bare
// `graphql` in our (transformed) sources to the separate ESM build.
import { GraphQLError } from 'graphql/index.js';
import { CacheGateError } from '../errors.js';
import { publicUpstreamError } from './upstream-error.js';

export const UNEXPECTED_MESSAGE = 'Unexpected error.';
export const INTERNAL_CODE = 'INTERNAL_SERVER_ERROR';

function located(error: unknown): GraphQLError | undefined {
  return error instanceof GraphQLError ? error : undefined;
}

/** The CacheGateError behind `error` (itself, or a GraphQLError's original error), if any. */
export function cacheGateErrorOf(error: unknown): CacheGateError | undefined {
  if (error instanceof CacheGateError) return error;
  const original = located(error)?.originalError;
  return original instanceof CacheGateError ? original : undefined;
}

/**
 * True for errors GraphQL itself reports (syntax, validation, variable coercion): their messages
 * are written for clients already.
 */
export function isGraphQLOwnError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  const original = error.originalError;
  return original === undefined || original === null || isGraphQLOwnError(original);
}

/**
 * A CacheGateError (bare or wrapped with a path) as the GraphQLError clients see; else undefined.
 * UPSTREAM_FAILED loses the driver's text (`upstream-error.ts`); `requestId` points to the log.
 */
export function toGraphQLError(error: unknown, requestId?: string): GraphQLError | undefined {
  const domain = cacheGateErrorOf(error);
  if (domain === undefined) return undefined;
  const at = located(error);
  const shown =
    domain.code === 'UPSTREAM_FAILED'
      ? publicUpstreamError(domain, requestId)
      : { message: domain.message, extensions: domain.details };
  return new GraphQLError(shown.message, {
    nodes: at?.nodes ?? null,
    source: at?.source ?? null,
    positions: at?.positions ?? null,
    path: at?.path ?? null,
    extensions: { ...shown.extensions, code: domain.code },
  });
}

/** What a client sees instead of an error it must not see; `requestId` finds it in the logs. */
export function maskedError(error: unknown, requestId: string | undefined): GraphQLError {
  const at = located(error);
  return new GraphQLError(UNEXPECTED_MESSAGE, {
    nodes: at?.nodes ?? null,
    source: at?.source ?? null,
    positions: at?.positions ?? null,
    path: at?.path ?? null,
    extensions: requestId === undefined ? { code: INTERNAL_CODE } : { code: INTERNAL_CODE, requestId },
  });
}
