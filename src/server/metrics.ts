/**
 * Prometheus metrics (prom-client), one registry per app so that several apps in one process
 * (tests) do not collide. Cache counters are read from `cache.stats()` at scrape time, so they
 * are the engine's own numbers, not a second count that could drift.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Cache, FetchProgress, TableStats } from '../engine/types.js';

export interface Metrics {
  registry: Registry;
  /** Counts one HTTP request. */
  request(method: string, route: string, status: number): void;
  /** Records one cache lookup made by a loader. */
  lookup(table: string, ms: number): void;
  /** Feeds one job progress event (finished jobs). */
  progress(event: FetchProgress): void;
  /** Stops listening to the engine (its batch reports). */
  close(): void;
}

const ROUTES = new Set(['/graphql', '/health', '/metrics']);

export function createMetrics(cache: Cache): Metrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'cachegate_http_requests_total',
    help: 'HTTP requests served, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const lookups = new Histogram({
    name: 'cachegate_lookup_duration_seconds',
    help: 'Duration of one cache lookup made by a request (cache read plus any upstream fetch it waited for).',
    labelNames: ['table'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  // Fed by the engine once per upstream batch (`onUpstreamBatch`), with the batch's own timing:
  // not derived from progress events, whose spacing also holds writes and waits for other jobs.
  const batches = new Histogram({
    name: 'cachegate_upstream_batch_duration_seconds',
    help: 'Duration of one upstream batch, from its first attempt until its rows arrived (retries and backoff included) or it failed for good.',
    labelNames: ['table', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'cachegate_upstream_errors_total',
    help: 'Upstream calls that failed or timed out (each attempt counts, retried or not).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'cachegate_upstream_retries_total',
    help: 'Upstream calls repeated after a failure (attempts beyond the first of a batch).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  const stopBatches = cache.onUpstreamBatch((b) => {
    batches.observe({ table: b.table, outcome: b.ok ? 'ok' : 'failed' }, b.ms / 1000);
    const failed = b.attempts - (b.ok ? 1 : 0);
    if (failed > 0) upstreamErrors.inc({ table: b.table }, failed);
    if (b.attempts > 1) retries.inc({ table: b.table }, b.attempts - 1);
  });
  const jobs = new Counter({
    name: 'cachegate_fetch_jobs_total',
    help: 'Fetch jobs finished, by table and final status.',
    labelNames: ['table', 'status'] as const,
    registers: [registry],
  });

  // One stats() call per scrape feeds all the cache-derived series.
  let pending: Promise<TableStats[]> | undefined;
  const stats = (): Promise<TableStats[]> => {
    pending ??= cache.stats().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const fromStats = (name: string, help: string, pick: (s: TableStats) => number, counter: boolean) => {
    const config = { name, help, labelNames: ['table'] as const, registers: [registry] };
    if (counter) {
      new Counter({
        ...config,
        async collect() {
          this.reset();
          for (const s of await stats()) this.inc({ table: s.table }, pick(s));
        },
      });
    } else {
      new Gauge({
        ...config,
        async collect() {
          for (const s of await stats()) this.set({ table: s.table }, pick(s));
        },
      });
    }
  };
  fromStats('cachegate_cache_hits_total', 'Cache hits, as the engine counts them.', (s) => s.hits, true);
  fromStats(
    'cachegate_cache_misses_total',
    'Cache misses, as the engine counts them.',
    (s) => s.misses,
    true,
  );
  fromStats(
    'cachegate_upstream_calls_total',
    'Upstream fetch calls (batches attempted).',
    (s) => s.fetches,
    true,
  );
  fromStats('cachegate_cache_lookups_total', 'Cache lookups served.', (s) => s.lookups, true);
  fromStats('cachegate_cache_rows', 'Rows held in the cache.', (s) => s.rows, false);
  fromStats('cachegate_cache_bytes', 'Bytes of Parquet part files.', (s) => s.bytes, false);

  // Cross-replica fetch locks (DESIGN §6): read at scrape time, like the cache counters.
  if (cache.fetchLockStatus().state !== 'off') {
    new Gauge({
      name: 'cachegate_fetch_locks_up',
      help: 'Whether the cross-replica fetch locks in Redis work (1) or fall open, fetching without them (0).',
      registers: [registry],
      collect() {
        this.set(cache.fetchLockStatus().state === 'up' ? 1 : 0);
      },
    });
    new Counter({
      name: 'cachegate_fetch_lock_errors_total',
      help: 'Calls to the fetch locks in Redis that failed (each fell open: the batch was fetched anyway).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache.fetchLockStatus().errors);
      },
    });
    new Counter({
      name: 'cachegate_fetch_lock_waits_timed_out_total',
      help: 'Waits for IDs another replica was fetching that reached the wait bound (then fetched here).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache.fetchLockStatus().waitsTimedOut);
      },
    });
  }

  return {
    registry,
    request(method, route, status) {
      requests.inc({ method, route: ROUTES.has(route) ? route : 'other', status: String(status) });
    },
    lookup(table, ms) {
      lookups.observe({ table }, ms / 1000);
    },
    progress(event) {
      if (event.status !== 'RUNNING') jobs.inc({ table: event.table, status: event.status });
    },
    close: stopBatches,
  };
}
