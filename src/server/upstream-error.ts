/**
 * What a client may see of an UPSTREAM_FAILED error: the table, the affected IDs and a `reason`
 * code, never the driver's text (hosts, databases, users, file paths, SQLSTATE). The full cause
 * goes to the server log under the request id, which the client gets to quote.
 */
import type { CacheGateError } from '../errors.js';

/**
 * TIMEOUT | CANCELLED | UNREACHABLE | QUERY_FAILED | BAD_RESPONSE | UPSTREAM_ERROR, or the
 * reason the error declares itself (TYPE_CONFLICT, CIRCUIT_OPEN…).
 */
export type UpstreamReason = string;

// Node's network error codes: the upstream could not be reached at all.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

// Reasons whose messages are written from config names only and tell an operator what to fix.
const SAFE_MESSAGE_REASONS = new Set(['TYPE_CONFLICT']);
// Details safe to pass on: names from the config, client-given IDs, retry hints. A refused
// value (VALUE_REFUSED) is upstream data: it goes to the log, the client gets column and type.
const SAFE_DETAILS = new Set([
  'table',
  'id',
  'ids',
  'column',
  'type',
  'reason',
  'cachedType',
  'incomingType',
]);

/** The reason of an upstream failure: the one it declares, else a class of its cause chain. */
export function upstreamReason(error: CacheGateError): UpstreamReason {
  const declared = error.details['reason'];
  if (typeof declared === 'string') return declared;
  for (let e: unknown = error.cause, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError') return 'TIMEOUT';
    if (name === 'AbortError') return 'CANCELLED';
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'UNREACHABLE';
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return 'QUERY_FAILED';
    if (name === 'SyntaxError') return 'BAD_RESPONSE';
    e = (e as { cause?: unknown }).cause;
  }
  return 'UPSTREAM_ERROR';
}

export function publicUpstreamError(
  error: CacheGateError,
  requestId: string | undefined,
): { message: string; extensions: Record<string, unknown> } {
  const reason = upstreamReason(error);
  const extensions: Record<string, unknown> = { reason };
  for (const [key, value] of Object.entries(error.details)) {
    if (SAFE_DETAILS.has(key) || key.startsWith('retry')) extensions[key] = value;
  }
  if (requestId !== undefined) extensions['requestId'] = requestId;
  if (SAFE_MESSAGE_REASONS.has(reason)) return { message: error.message, extensions };
  const table = typeof error.details['table'] === 'string' ? ` of table "${error.details['table']}"` : '';
  const where = requestId === undefined ? 'the server log' : `the server log under request id ${requestId}`;
  return {
    message: `The upstream source${table} failed (${reason}); nothing of it was cached. Retry later; the cause is in ${where}.`,
    extensions,
  };
}
