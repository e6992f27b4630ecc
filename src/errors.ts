/**
 * The error codes of the public contract (shared/DESIGN.md §4) and one class per code.
 * The engine knows nothing of GraphQL: the server maps these to GraphQLError at one seam
 * (`server/` → `toGraphQLError`), keeping `code` as `extensions.code`.
 */
export type ErrorCode =
  | 'DATA_NOT_FOUND'
  | 'COLUMN_NOT_FOUND'
  | 'JSON_PARSE_ERROR'
  | 'TABLE_NOT_FOUND'
  | 'BAD_INPUT'
  | 'LIMIT_EXCEEDED'
  | 'UPSTREAM_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  /** Never sent to a client: a bad config stops the server before it serves anything. */
  | 'CONFIG_INVALID';

export abstract class CacheGateError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra, client-safe facts about the error (IDs, column, table); sent as extensions. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

export class DataNotFoundError extends CacheGateError {
  readonly code = 'DATA_NOT_FOUND';
  readonly ids: readonly string[];
  constructor(table: string, ids: readonly string[]) {
    const shown = ids
      .slice(0, 10)
      .map((id) => JSON.stringify(id))
      .join(', ');
    const more = ids.length > 10 ? ` and ${ids.length - 10} more` : '';
    super(
      `No row in table "${table}" for id ${shown}${more}: the upstream source did not return ${ids.length === 1 ? 'it' : 'them'}. Check the id, or invalidate it if it was created since.`,
      { table, ids: ids.slice(0, 100) },
    );
    this.ids = ids;
  }
}

export class ColumnNotFoundError extends CacheGateError {
  readonly code = 'COLUMN_NOT_FOUND';
  constructor(table: string, column: string, known?: readonly string[]) {
    const hint = known && known.length > 0 ? ` Known columns: ${known.join(', ')}.` : '';
    super(`Column "${column}" does not exist in table "${table}".${hint}`, { table, column });
  }
}

export class JsonParseError extends CacheGateError {
  readonly code = 'JSON_PARSE_ERROR';
  constructor(table: string, id: string, column: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      `Cell "${column}" of id ${JSON.stringify(id)} in table "${table}" is not valid JSON${reason}. Fix the value upstream, then invalidate the id.`,
      { table, id, column },
      { cause },
    );
  }
}

export class TableNotFoundError extends CacheGateError {
  readonly code = 'TABLE_NOT_FOUND';
  constructor(table: string, known: readonly string[]) {
    super(
      `Table ${JSON.stringify(table)} is not configured. Known tables: ${known.length > 0 ? known.join(', ') : '(none)'}.`,
      { table },
    );
  }
}

export class BadInputError extends CacheGateError {
  readonly code = 'BAD_INPUT';
}

export class LimitExceededError extends CacheGateError {
  readonly code = 'LIMIT_EXCEEDED';
}

export class UpstreamFailedError extends CacheGateError {
  readonly code = 'UPSTREAM_FAILED';
  /**
   * False when the failure says nothing about the upstream's health (a 404, a bad value, an SQL
   * syntax error): the circuit breaker ignores it, so one poison ID cannot open it for everyone.
   */
  outage = true;
  /** The upstream asked for this pause (HTTP `Retry-After`); the breaker holds calls back that long. */
  retryAfterMs?: number;
}

/**
 * The source's circuit breaker is open: failed at once, without calling the upstream. Not
 * retried by the fetch loop (a retry within the same request would only fail fast again).
 */
export class CircuitOpenError extends UpstreamFailedError {
  constructor(table: string, retryAt: number) {
    const retryAfterMs = Math.max(0, retryAt - Date.now());
    super(
      `The upstream of table "${table}" is failing, so cachegate stopped calling it for now (circuit open); it tries again in ${Math.ceil(retryAfterMs / 1000)} s, at ${new Date(retryAt).toISOString()}. Retry after that; GET /health/ready shows the state.`,
      { reason: 'CIRCUIT_OPEN', table, retryAt: new Date(retryAt).toISOString(), retryAfterMs },
    );
  }
}

/** Whether the fetch loop may try `e` again: unexpected errors and upstream failures, not an open circuit. */
export function isRetryable(e: unknown): boolean {
  if (!isCacheGateError(e)) return true;
  return e.code === 'UPSTREAM_FAILED' && !(e instanceof CircuitOpenError);
}

/**
 * A value whose type differs from the cached column's: never coerced silently. To clients it is
 * an upstream failure (the contract's code), with `reason: TYPE_CONFLICT` beside it.
 */
export class TypeConflictError extends CacheGateError {
  readonly code = 'UPSTREAM_FAILED';
  constructor(table: string, column: string, cachedType: string, incomingType: string) {
    super(
      `Type conflict in table "${table}", column "${column}": the cache holds ${cachedType} but the upstream sent ${incomingType}. Fix the source or the column type in the config, then invalidate the table.`,
      { reason: 'TYPE_CONFLICT', table, column, cachedType, incomingType },
    );
  }
}

/** The caller's role may not use this field (or endpoint). */
export class ForbiddenError extends CacheGateError {
  readonly code = 'FORBIDDEN';
}

/**
 * A value of the right kind that the column's type cannot hold (NaN in a Float, 3,000,000,000 in
 * an Int, text that is not JSON in a JSON column…). Refused at fetch time so it is never cached:
 * the whole batch fails, as an upstream failure with `reason: VALUE_REFUSED` beside it.
 */
export class ValueRefusedError extends CacheGateError {
  readonly code = 'UPSTREAM_FAILED';
  constructor(
    table: string,
    column: string,
    /** The row's id; undefined when the caller only knows its position (`row`). */
    at: { id: string } | { row: number },
    type: string,
    value: string,
    why: string,
  ) {
    const where = 'id' in at ? `id ${JSON.stringify(at.id)}` : `row ${at.row} of the batch`;
    super(
      `Value refused in table "${table}", column "${column}" (${type}), ${where}: ${value} ${why}. Nothing of this batch was cached. Fix the value upstream or change the column's type in the config, then fetch again.`,
      { reason: 'VALUE_REFUSED', table, column, ...at, type, value },
    );
  }
}

export class ConfigError extends CacheGateError {
  readonly code = 'CONFIG_INVALID';
}

export function isCacheGateError(e: unknown): e is CacheGateError {
  return e instanceof CacheGateError;
}
