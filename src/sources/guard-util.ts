/** Small helpers of `guard.ts`: giving up on a call at abort, and a short reason code for an error. */
import { isCacheGateError } from '../errors.js';

/** Settles with `p`, or rejects with the signal's reason as soon as it aborts (`p` runs on). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      p.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

const CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/**
 * `ECONNREFUSED`, `HTTP_503`, `CIRCUIT_OPEN`…: what went wrong, without the message (which may
 * name hosts, users or paths). Looks through `cause` chains, where drivers keep the errno.
 */
export function reasonOf(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const reason = isCacheGateError(cur) ? cur.details['reason'] : undefined;
    if (typeof reason === 'string') return reason;
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CODE.test(code) && code !== 'UPSTREAM_FAILED') return code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return `SQLSTATE_${code}`;
    cur = (cur as { cause?: unknown }).cause;
  }
  return isCacheGateError(e) ? e.code : 'ERROR';
}
