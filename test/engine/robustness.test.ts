/** Failure modes found in review: each would otherwise hang a caller or serve a wrong answer. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fetcher } from '../../src/sources/types.js';
import { testCache as createCache } from '../helpers/cache.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';

async function newCache(tables: Record<string, unknown> = {}) {
  return createCache({ cacheDir: path.join(await tempDir(), 'cache'), tables });
}

describe('engine robustness', () => {
  it('an id-only lookup fetches unknown ids to learn whether they exist', async () => {
    const cache = await newCache();
    const f = recordingFetcher((id) => (id === 'x' ? undefined : movieRow(id)));
    const res = await cache.lookup('movies', ['1', 'x'], ['id'], { fetcher: f.fetch });
    expect(f.calls).toEqual([{ ids: ['1', 'x'], columns: [], batch: 1, attempt: 1 }]);
    expect(res.rows.get('1')).toEqual({ id: '1' });
    expect(res.errors.get('x')?.code).toBe('DATA_NOT_FOUND');
    await cache.lookup('movies', ['1', 'x'], ['id'], { fetcher: f.fetch });
    expect(f.calls).toHaveLength(1);
  });

  it('an id the upstream stops returning loses its cached row and becomes not found', async () => {
    const cache = await newCache({ movies: { columns: { title: 'String', year: 'Int' } } });
    await cache.getData('movies', ['1', '2'], ['title'], { fetcher: recordingFetcher(movieRow).fetch });
    const gone = recordingFetcher((id) => (id === '2' ? undefined : movieRow(id)));
    const res = await cache.lookup('movies', ['1', '2'], ['title', 'year'], { fetcher: gone.fetch });
    expect(res.errors.get('2')?.code).toBe('DATA_NOT_FOUND');
    expect(res.rows.get('1')).toEqual({ title: 'Movie 1', year: 1951 });
    // Remembered: the next lookup does not ask again, and the old title is not served.
    const again = await cache.lookup('movies', ['2'], ['title'], { fetcher: gone.fetch });
    expect(again.errors.get('2')?.code).toBe('DATA_NOT_FOUND');
    expect(gone.calls).toHaveLength(1);
  });

  it('a throwing progress callback neither breaks the job nor hangs a concurrent waiter', async () => {
    const cache = await newCache();
    const f = recordingFetcher(movieRow);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: Fetcher = async (ids, cols, ctx) => {
      await gate;
      return f.fetch(ids, cols, ctx);
    };
    const a = cache.getData('movies', ['1', '2'], ['title'], {
      fetcher: slow,
      onProgress: () => {
        throw new Error('callback bug');
      },
    });
    const b = cache.getData('movies', ['1', '2'], ['title'], { fetcher: slow });
    release();
    const [da, db] = await Promise.all([a, b]);
    expect(da.height).toBe(2);
    expect(db.height).toBe(2);
    expect(f.calls).toHaveLength(1);
  });

  it('a waiter whose concurrent fetch failed gets an error, not a silent null', async () => {
    const cache = await newCache({
      movies: { columns: { title: 'String', year: 'Int' }, batch: { retries: 0 } },
    });
    await cache.getData('movies', ['1'], ['title'], { fetcher: recordingFetcher(movieRow).fetch });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const failing: Fetcher = async () => {
      await gate;
      throw new Error('upstream down');
    };
    const started = new Promise<void>((resolve) => cache.jobs.subscribe(() => resolve()));
    const a = cache.lookup('movies', ['1'], ['year'], { fetcher: failing });
    await started;
    const healthy = recordingFetcher(movieRow);
    const b = cache.lookup('movies', ['1'], ['title', 'year'], { fetcher: healthy.fetch });
    // Let b reach its claim (a cache read of one row) while a's fetch is still held.
    await new Promise((r) => setTimeout(r, 100));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(healthy.calls).toEqual([]);
    expect(ra.errors.get('1')?.code).toBe('UPSTREAM_FAILED');
    expect(rb.errors.get('1')?.code).toBe('UPSTREAM_FAILED');
  });

  it('close() stops a running job instead of fetching its remaining batches', async () => {
    const dir = await tempDir();
    const cache = createCache({ cacheDir: dir, tables: {} });
    let calls = 0;
    const slow: Fetcher = async (ids) => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      return ids.map((id) => ({ id, v: id }));
    };
    const job = cache.getData(
      't',
      Array.from({ length: 1_000 }, (_, i) => String(i)),
      ['v'],
      { fetcher: slow },
    );
    await new Promise((r) => setTimeout(r, 20));
    await cache.close();
    await expect(job).rejects.toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect(calls).toBeLessThan(10);
  });

  it('a column seen only as nulls is typed by its first value, even after an invalidate', async () => {
    const cache = await newCache();
    await cache.getData('t', ['1'], ['n'], { fetcher: async (ids) => ids.map((id) => ({ id, n: null })) });
    await cache.getData('t', ['9'], ['m'], { fetcher: async (ids) => ids.map((id) => ({ id, m: 'x' })) });
    expect(await cache.invalidate('t', ['9'])).toBe(1);
    const df = await cache.getData('t', ['2'], ['n'], {
      fetcher: async (ids) => ids.map((id) => ({ id, n: 2.5 })),
    });
    expect(df.toRecords()).toEqual([{ id: '2', n: 2.5 }]);
  });

  it('columns named like Object.prototype keys are ordinary columns, or unknown ones', async () => {
    // Found by the property test: `"constructor" in columns` is true for every object.
    const free = await newCache();
    const fetcher: Fetcher = async (ids) => ids.map((id) => ({ id, constructor: `c${id}`, toString: 't' }));
    const df = await free.getData('odd', ['1'], ['constructor', 'toString'], { fetcher });
    expect(df.toRecords()).toEqual([{ id: '1', constructor: 'c1', toString: 't' }]);
    await free.compact('odd');
    expect((await free.getData('odd', ['1'], ['constructor'], { fetcher })).toRecords()).toEqual([
      { id: '1', constructor: 'c1' },
    ]);
    const declared = await newCache({ movies: { columns: { title: 'String' } } });
    await expect(declared.getData('movies', ['1'], ['constructor'], { fetcher })).rejects.toMatchObject({
      code: 'COLUMN_NOT_FOUND',
    });
  });
});
