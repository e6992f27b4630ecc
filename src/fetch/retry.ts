/** Runs one upstream call with a timeout, retrying failures with exponential backoff and jitter. */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable } from '../errors.js';

export interface RetryPolicy {
  retries: number;
  timeoutMs: number;
  backoffMs: number;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Calls `fn` with an AbortSignal that fires on timeout or when `outer` aborts. The timeout
 * rejects even if `fn` ignores its signal, so one hung upstream call cannot stall a job.
 */
export async function withRetry<T>(
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
  policy: RetryPolicy,
  outer: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    outer.throwIfAborted();
    const ctl = new AbortController();
    const onOuter = (): void => ctl.abort(outer.reason);
    outer.addEventListener('abort', onOuter, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(policy.timeoutMs);
        ctl.abort(err);
        reject(err);
      }, policy.timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true });
    });
    try {
      return await Promise.race([fn(ctl.signal, attempt), timeout, aborted]);
    } catch (e) {
      // Our own errors (unknown column, type conflict, open circuit) would fail the same way again.
      if (outer.aborted || attempt > policy.retries || !isRetryable(e)) throw e;
      // Capped at 30 s so a long retry chain still ends within a few minutes.
      const delay = Math.min(30_000, policy.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random());
      await sleep(delay, undefined, { signal: outer }).catch(() => undefined);
      if (outer.aborted) throw e;
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
    }
  }
}
