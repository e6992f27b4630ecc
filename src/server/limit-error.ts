/**
 * The one shape of a refused request: LIMIT_EXCEEDED naming the limit (`extensions.limit`, a key
 * of the config's `limits`) and its value, with HTTP 400 when the request is refused whole.
 */
// graphql/index.js: see server/errors.ts (one GraphQLError class with yoga's, also under vitest).
import { GraphQLError, type GraphQLErrorOptions } from 'graphql/index.js';
import type { Limits } from '../config/types.js';

export type LimitName = keyof Limits;

export function limitExceeded(
  limit: LimitName,
  value: number,
  message: string,
  options: Pick<GraphQLErrorOptions, 'nodes'> & { actual?: number } = {},
): GraphQLError {
  return new GraphQLError(`${message} Limit "${limit}" is ${value}.`, {
    nodes: options.nodes ?? null,
    extensions: {
      code: 'LIMIT_EXCEEDED',
      limit,
      value,
      ...(options.actual === undefined ? {} : { actual: options.actual }),
      // spec: false, so yoga answers 400 even to `accept: application/json` clients, whose
      // validation errors it would otherwise send with 200 (GraphQL over HTTP, legacy rule).
      http: { status: 400, spec: false },
    },
  });
}
