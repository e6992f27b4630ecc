/**
 * A replica in its own process, for the SIGKILL test: opens the cache folder with fetch locks in
 * Redis, asks for IDs 1..COUNT, and hangs in its upstream call (printing FETCHING first) until
 * the test kills it. Run with tsx's loader; settings come from the environment.
 */
import { createCache } from '../../src/engine/cache.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const cache = createCache({
  cacheDir: env('CACHE_DIR'),
  tables: {},
  fetchLocks: { redisUrl: env('REDIS_URL'), prefix: env('LOCK_PREFIX'), ttl: env('LOCK_TTL') },
});
// Alive until killed, whatever the cache holds open.
setInterval(() => undefined, 1 << 30);
const ids = Array.from({ length: Number(env('COUNT')) }, (_, i) => String(i + 1));
await cache.getData('movies', ids, ['title'], {
  fetcher: (batchIds) => {
    process.stdout.write(`FETCHING ${batchIds.length}\n`);
    return new Promise(() => undefined);
  },
});
