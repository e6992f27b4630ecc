/**
 * Admission of `warm` jobs: at most `concurrentJobs` running at once, and no more upstream
 * cells than `warmCost` per call (IDs × columns, counted before looking at the cache, so a
 * refusal costs nothing). Four concurrent 1M-ID warms used to exhaust the heap.
 */
import type { Limits } from '../config/types.js';
import type { Cache, FetchProgress } from '../engine/types.js';
import { LimitExceededError } from '../errors.js';
import type { WarmGate } from '../schema/index.js';

export interface ServerWarmGate extends WarmGate {
  close(): void;
}

export function createWarmGate(
  cache: Cache,
  limits: Pick<Limits, 'concurrentJobs' | 'warmCost'>,
): ServerWarmGate {
  const running = new Set<string>();
  const stop = cache.jobs.subscribe((event) => {
    if (event.status !== 'RUNNING') running.delete(event.jobId);
  });
  return {
    warm(table, ids, columns): FetchProgress {
      const count = columns?.length
        ? columns.length
        : Object.keys(cache.config.tables[table]?.columns ?? {}).length;
      const cost = new Set(ids).size * Math.max(1, count);
      if (cost > limits.warmCost) {
        throw new LimitExceededError(
          `Warming ${new Set(ids).size} ids × ${count} columns of "${table}" would fetch ${cost} cells; the limit "warmCost" is ${limits.warmCost}. Warm fewer ids or columns per call.`,
          { table, limit: 'warmCost', value: limits.warmCost, actual: cost },
        );
      }
      if (running.size >= limits.concurrentJobs) {
        throw new LimitExceededError(
          `${running.size} warm jobs are running; the limit "concurrentJobs" is ${limits.concurrentJobs}. Wait for one to finish (fetchProgress or job(id)), then retry.`,
          { table, limit: 'concurrentJobs', value: limits.concurrentJobs },
        );
      }
      const first = cache.warm(table, ids, columns);
      // A job that finished before warm() returned (all cached) published its end already.
      if (cache.jobs.get(first.jobId)?.status === 'RUNNING') running.add(first.jobId);
      return first;
    },
    close: stop,
  };
}
