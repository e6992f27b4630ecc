/**
 * Very many IDs the upstream does not have: every one is DATA_NOT_FOUND, and nothing on the way
 * spreads an unbounded list into a call (push(...ids) overflowed the stack past ~125,000 IDs).
 */
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCache } from '../../src/engine/cache.js';
import type { DataNotFoundError } from '../../src/errors.js';
import type { Fetcher } from '../../src/sources/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const N = 200_000;
const ids = Array.from({ length: N }, (_, i) => `ghost-${i}`);

describe('ids the upstream does not have', () => {
  it(`${N.toLocaleString('en')} of them: DATA_NOT_FOUND for all, through lookup and getData, no RangeError`, async () => {
    const dir = await tempDir();
    const cache = createCache({ cacheDir: path.join(dir, 'cache'), tables: {} });
    let calls = 0;
    const nothing: Fetcher = async () => {
      calls++;
      return [];
    };
    const res = await cache.lookup('ghosts', ids, ['name'], { fetcher: nothing });
    expect(calls).toBe(100);
    expect(res.rows.size).toBe(0);
    expect(res.errors.size).toBe(N);
    expect([...res.errors.values()].every((e) => e.code === 'DATA_NOT_FOUND')).toBe(true);
    // Remembered as not found: getData answers from the cache, all of them in one error.
    const err = (await cache
      .getData('ghosts', ids, ['name'], { fetcher: nothing })
      .catch((e: unknown) => e)) as DataNotFoundError;
    expect(err).toMatchObject({ code: 'DATA_NOT_FOUND' });
    expect(err.ids).toHaveLength(N);
    expect(calls).toBe(100);
    await cache.close();
  }, 120_000);

  it('warm of ids the upstream does not have SUCCEEDS and counts them as not found', async () => {
    const dir = await tempDir();
    const mod = path.join(dir, 'source.mjs');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      mod,
      `export async function fetch(ids) { return ids.filter((id) => !id.startsWith('x')).map((id) => ({ id, title: 'T' + id })); }`,
    );
    const cache = createCache({
      cacheDir: path.join(dir, 'cache'),
      tables: { movies: { columns: { title: 'String' }, source: { kind: 'module', path: mod } } },
    });
    const first = cache.warm('movies', ['1', '2', 'x1', 'x2', 'x3']);
    await vi.waitFor(() => expect(cache.jobs.get(first.jobId)?.status).not.toBe('RUNNING'));
    expect(cache.jobs.get(first.jobId)).toMatchObject({
      status: 'SUCCEEDED',
      totalIds: 5,
      rowsFetched: 2,
      notFoundCount: 3,
      failedCount: 0,
      failedIds: [],
    });
    expect(cache.jobs.get(first.jobId)?.message).toMatch(/3 of 5 ids do not exist upstream/);
    // Warmed again: nothing to fetch, the not-found ids are still reported.
    const again = cache.warm('movies', ['1', 'x1']);
    await vi.waitFor(() => expect(cache.jobs.get(again.jobId)?.status).toBe('SUCCEEDED'));
    expect(cache.jobs.get(again.jobId)).toMatchObject({ notFoundCount: 1 });
    expect(cache.jobs.get(again.jobId)?.message).toMatch(/already cached; 1 ids do not exist upstream/);
    await cache.close();
  });
});
