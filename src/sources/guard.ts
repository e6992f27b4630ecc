/**
 * What stands between every configured source and its upstream, across all requests and jobs
 * (sources/index.ts wraps each one): a cap on concurrent calls and a circuit breaker (cockatiel).
 * A dead upstream is called a few times, then only by one probe at growing intervals; meanwhile
 * callers fail at once with CircuitOpenError (UPSTREAM_FAILED, reason CIRCUIT_OPEN, retryAt).
 */
import {
  BrokenCircuitError,
  type BulkheadPolicy,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  type GeneratorFn,
  handleWhen,
  type IBackoff,
  type IBackoffFactory,
  noJitterGenerator,
} from 'cockatiel';
import { type BreakerConfig, DEFAULT_BREAKER, DEFAULT_SOURCE_CONCURRENCY } from '../config/types.js';
import { CircuitOpenError, isCacheGateError, UpstreamFailedError } from '../errors.js';
import { raceAbort, reasonOf } from './guard-util.js';
import type { FetchContext, Source, SourceResult } from './types.js';

/** Calls waiting for a free slot; past this a call fails (retryably) instead of queueing forever. */
const MAX_QUEUED = 10_000;
/** A `Retry-After` longer than this is capped: a broken header must not silence a source for days. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

export type BreakerState = 'closed' | 'open' | 'half-open' | 'off';

export interface GuardOptions {
  maxConcurrency?: number | undefined;
  breaker?: BreakerConfig | false | undefined;
}

/** One source in the readiness body (`GET /health/ready`). */
export interface SourceHealth {
  table: string;
  kind: string;
  /** `up`: answered the probe in time; `down`: did not, or its breaker is open (not contacted). */
  state: 'up' | 'down';
  breaker: BreakerState;
  /** When the breaker lets the next probe through (ISO 8601), while it is open. */
  retryAt?: string;
  latencyMs?: number;
  /** A short reason code (`ECONNREFUSED`, `TIMEOUT`, `HTTP_503`, `CIRCUIT_OPEN`), never a message. */
  reason?: string;
  /** Upstream calls made, those that failed, and callers refused by the open breaker. */
  calls: number;
  failures: number;
  rejected: number;
  active: number;
  queued: number;
}

export interface GuardedSource extends Source {
  health(timeoutMs: number): Promise<SourceHealth>;
}

/** An error that says the upstream may be down; a poison ID or a bad query does not. */
export function isOutage(e: unknown): boolean {
  if (e instanceof UpstreamFailedError) return e.outage;
  return !isCacheGateError(e);
}

// Exponential pauses with up to 20% added jitter: never shorter than configured (a decorrelated
// jitter may yield ~0 ms, which would probe a dead upstream at once).
const jittered: GeneratorFn<number> = (attempts, options) => {
  const [delay, next] = noJitterGenerator(attempts ?? 0, options);
  return [Math.min(options.maxDelay, delay * (1 + Math.random() * 0.2)), next];
};

/** A backoff factory that tells `seen` each pause it hands out, so retryAt is known. */
function recorded<C>(inner: IBackoffFactory<C>, seen: (ms: number) => void): IBackoffFactory<C> {
  const wrap = (b: IBackoff<C>): IBackoff<C> => {
    seen(b.duration);
    return { duration: b.duration, next: (c) => wrap(b.next(c)) };
  };
  return { next: (c) => wrap(inner.next(c)) };
}

export function guardSource(
  source: Source,
  table: string,
  kind: string,
  options: GuardOptions = {},
): GuardedSource {
  const limit = options.maxConcurrency ?? DEFAULT_SOURCE_CONCURRENCY;
  const slots: BulkheadPolicy = bulkhead(limit, MAX_QUEUED);
  const cfg = options.breaker === undefined ? DEFAULT_BREAKER : options.breaker;
  const counts = { calls: 0, failures: 0, rejected: 0 };
  let lastPause = 0;
  let openUntil = 0;
  // Retry-After: no call before this, whatever the breaker says.
  let holdUntil = 0;
  let breaker: CircuitBreakerPolicy | undefined;
  if (cfg !== false) {
    const backoff = new ExponentialBackoff({
      initialDelay: cfg.halfOpenAfterMs,
      maxDelay: Math.max(cfg.halfOpenAfterMs, cfg.maxHalfOpenAfterMs),
      generator: jittered,
    });
    breaker = circuitBreaker(handleWhen(isOutage), {
      breaker: new ConsecutiveBreaker(cfg.failures),
      halfOpenAfter: recorded(backoff, (ms) => {
        lastPause = ms;
      }),
    });
    breaker.onBreak(() => {
      openUntil = Date.now() + lastPause;
    });
  }

  const retryAt = (): number | undefined => {
    const now = Date.now();
    const until = Math.max(holdUntil, breaker?.state === CircuitState.Open ? openUntil : 0);
    return until > now ? until : undefined;
  };

  /** One upstream call: counted, and its failures read for Retry-After. */
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    counts.calls++;
    try {
      return await run();
    } catch (e) {
      counts.failures++;
      if (e instanceof UpstreamFailedError && e.retryAfterMs !== undefined) {
        holdUntil = Math.max(holdUntil, Date.now() + Math.min(e.retryAfterMs, MAX_RETRY_AFTER_MS));
      }
      throw e;
    }
  };

  /** Runs `run` through the breaker (if any); an open circuit or a Retry-After hold fails fast. */
  const throughBreaker = async <T>(run: () => Promise<T>): Promise<T> => {
    const blocked = retryAt();
    if (blocked !== undefined) {
      counts.rejected++;
      throw new CircuitOpenError(table, blocked);
    }
    if (breaker === undefined) return call(run);
    try {
      return await breaker.execute(() => call(run));
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        counts.rejected++;
        throw new CircuitOpenError(table, retryAt() ?? Date.now());
      }
      throw e;
    }
  };

  const fetch = async (ids: string[], columns: string[], ctx: FetchContext): Promise<SourceResult> => {
    try {
      // The slot is freed when the caller gives up (timeout, shutdown), even if the source
      // ignores its signal: a hung call must not starve the source forever. Its timeout still
      // counts as a failure for the breaker.
      return await slots.execute(
        () => throughBreaker(() => raceAbort(source.fetch(ids, columns, ctx), ctx.signal)),
        ctx.signal,
      );
    } catch (e) {
      if (e instanceof Error && e.name === 'BulkheadRejectedError') {
        throw new UpstreamFailedError(
          `The upstream of table "${table}" has ${limit} calls running and ${MAX_QUEUED} waiting; retry later or raise source.maxConcurrency.`,
          { table, reason: 'SOURCE_BUSY' },
          { cause: e },
        );
      }
      if (e instanceof Error && e.name === 'TaskCancelledError') throw ctx.signal.reason ?? e;
      throw e;
    }
  };

  let probing: Promise<SourceHealth> | undefined;
  const probe = async (timeoutMs: number): Promise<SourceHealth> => {
    const started = Date.now();
    const signal = AbortSignal.timeout(timeoutMs);
    let state: SourceHealth['state'] = 'up';
    let reason: string | undefined;
    try {
      // Through the breaker, not the slots: readiness must answer while calls queue, and an
      // overdue open breaker lets this probe be its half-open test.
      if (source.ping) await throughBreaker(() => raceAbort(source.ping!(signal), signal));
    } catch (e) {
      state = 'down';
      reason = signal.aborted && !(e instanceof CircuitOpenError) ? 'TIMEOUT' : reasonOf(e);
    }
    const out = snapshot(state, reason);
    if (state === 'up') out.latencyMs = Date.now() - started;
    return out;
  };

  const snapshot = (state: SourceHealth['state'], reason: string | undefined): SourceHealth => {
    const at = retryAt();
    const out: SourceHealth = {
      table,
      kind,
      state,
      breaker: breakerState(breaker),
      ...counts,
      active: limit - slots.executionSlots,
      queued: MAX_QUEUED - slots.queueSlots,
    };
    if (at !== undefined) out.retryAt = new Date(at).toISOString();
    if (reason !== undefined) out.reason = reason;
    return out;
  };

  const guarded: GuardedSource = {
    fetch,
    health(timeoutMs) {
      // Concurrent readiness checks share one probe, so polling cannot add upstream load.
      probing ??= probe(timeoutMs).finally(() => {
        probing = undefined;
      });
      return probing;
    },
  };
  if (source.maxBatchSize !== undefined) Object.assign(guarded, { maxBatchSize: source.maxBatchSize });
  if (source.columns) guarded.columns = () => source.columns!();
  if (source.ping) guarded.ping = (signal) => source.ping!(signal);
  if (source.close) guarded.close = () => source.close!();
  return guarded;
}

function breakerState(b: CircuitBreakerPolicy | undefined): BreakerState {
  if (b === undefined) return 'off';
  switch (b.state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'open';
  }
}
