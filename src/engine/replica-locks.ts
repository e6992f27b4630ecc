/** The fetch locks a config asks for (DESIGN §6): Redis when `fetchLocks` is set, else none. */
import { createHash } from 'node:crypto';
import type { CacheGateConfig } from '../config/types.js';
import { type FetchLocks, noFetchLocks } from '../fetch/fetch-locks.js';
import { RedisFetchLocks } from '../fetch/redis-locks.js';

export function fetchLocksFor(config: CacheGateConfig, onWarning?: (message: string) => void): FetchLocks {
  const f = config.fetchLocks;
  if (f === undefined) return noFetchLocks;
  return new RedisFetchLocks({
    url: f.redisUrl,
    // Replicas meet on the cache folder they share; `cacheDir` is absolute after parseConfig.
    namespace: f.prefix ?? createHash('sha256').update(config.cacheDir).digest('hex').slice(0, 16),
    ttlMs: f.ttlMs,
    maxWaitMs: f.maxWaitMs,
    ...(onWarning ? { onWarning } : {}),
  });
}
