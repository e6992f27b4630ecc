/**
 * Engines opened by a test, closed after it: close() flushes the write buffer, which must
 * happen before the temp folder goes (a background flush would otherwise write into it).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach } from 'vitest';
import { type CacheInput, type CacheOptions, createCache } from '../../src/engine/cache.js';
import type { Cache } from '../../src/engine/types.js';
import { tempDir } from './temp-dir.js';

const open: Cache[] = [];

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

export function testCache(input: CacheInput, options?: CacheOptions): Cache {
  const cache = createCache(input, options);
  open.push(cache);
  return cache;
}

/**
 * An engine over a `movies` table (one String column, `title`) whose source is a `module` file
 * holding `source` (JS text exporting `fetch`), written into a fresh temp folder.
 */
export async function moduleSourceCache(source: string): Promise<Cache> {
  const dir = await tempDir();
  const mod = path.join(dir, 'source.mjs');
  await writeFile(mod, source);
  return testCache({
    cacheDir: path.join(dir, 'cache'),
    tables: { movies: { columns: { title: 'String' }, source: { kind: 'module', path: mod } } },
  });
}
