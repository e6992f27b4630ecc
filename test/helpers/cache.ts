/**
 * Engines opened by a test, closed after it: close() flushes the write buffer, which must
 * happen before the temp folder goes (a background flush would otherwise write into it).
 */
import { afterEach } from 'vitest';
import { type CacheInput, type CacheOptions, createCache } from '../../src/engine/cache.js';
import type { Cache } from '../../src/engine/types.js';

const open: Cache[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

export function testCache(input: CacheInput, options?: CacheOptions): Cache {
  const cache = createCache(input, options);
  open.push(cache);
  return cache;
}
