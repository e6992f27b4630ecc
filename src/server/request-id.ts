/** Request ids: the caller's `x-request-id` when it is sane, else a fresh UUID. */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE = /^[A-Za-z0-9._-]{1,64}$/;

const ids = new WeakMap<Request, string>();

/** The id of `request`, created on first use; stable for the request's lifetime. */
export function requestIdOf(request: Request | undefined): string {
  if (request === undefined) return randomUUID();
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get(REQUEST_ID_HEADER);
    id = given !== null && SANE.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}
