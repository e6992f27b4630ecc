import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it, vi } from 'vitest';
import type { FetchProgress } from '../../src/engine/types.js';
import { DataNotFoundError, TypeConflictError, UpstreamFailedError } from '../../src/errors.js';
import type { Fetcher } from '../../src/sources/types.js';
import { testCache as createCache, moduleSourceCache } from '../helpers/cache.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
const fast = { retries: 0, backoff: 1 };

async function newCache(tables: Record<string, unknown> = {}) {
  const dir = await tempDir();
  return createCache({ cacheDir: path.join(dir, 'cache'), tables });
}

describe('fetching', () => {
  it('a failed batch (3 of 5) fails only its own ids; the other batches stay cached', async () => {
    const cache = await newCache({ movies: { columns: { title: 'String' }, batch: fast } });
    const f = recordingFetcher(movieRow, { failOn: (c) => c.batch === 3 });
    const events: FetchProgress[] = [];
    const ids = range(1, 500);
    const res = await cache.lookup('movies', ids, ['title'], {
      fetcher: f.fetch,
      onProgress: (e) => events.push(e),
    });
    // Batch 3 fails, and so do both its halves (tried once each to isolate a bad ID, see
    // fetch/isolate.ts): the fault is the upstream's, so probing stops there.
    expect(f.calls.map((c) => c.ids.length)).toEqual([100, 100, 100, 50, 50, 100, 100]);
    const failed = f.calls[2]!.ids;
    expect(res.rows.size).toBe(400);
    expect([...res.errors.keys()].sort()).toEqual([...failed].sort());
    expect([...res.errors.values()].every((e) => e instanceof UpstreamFailedError)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      status: 'PARTIAL',
      batchesDone: 5,
      batchesTotal: 5,
      rowsFetched: 400,
    });
    expect(events.at(-1)?.failedIds.sort()).toEqual([...failed].sort());
    expect(events.map((e) => e.batchesDone)).toEqual([0, 1, 2, 3, 4, 5]);

    // Only the failed batch is fetched again; getData reports the failure as a whole.
    f.calls.length = 0;
    const healthy = recordingFetcher(movieRow);
    const df = await cache.getData('movies', ids, ['title'], { fetcher: healthy.fetch });
    expect(healthy.calls.map((c) => c.ids)).toEqual([failed]);
    expect(df.height).toBe(500);
    const err = await cache
      .getData('movies', range(1000, 1200), ['title'], {
        fetcher: recordingFetcher(movieRow, { failOn: () => true }).fetch,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamFailedError);
    expect((err as UpstreamFailedError).code).toBe('UPSTREAM_FAILED');
    expect((await cache.stats('movies'))[0]?.rows).toBe(500);
  });

  it('remembers ids the upstream did not return, for their own TTL', async () => {
    const cache = await newCache({ movies: { columns: { title: 'String' }, notFoundTtl: '200ms' } });
    const f = recordingFetcher((id) => (id === 'x' ? undefined : movieRow(id)));
    const res = await cache.lookup('movies', ['1', 'x'], ['title'], { fetcher: f.fetch });
    expect(res.errors.get('x')).toBeInstanceOf(DataNotFoundError);
    expect(res.rows.get('1')).toEqual({ title: 'Movie 1' });
    const err = await cache
      .getData('movies', ['1', 'x'], ['title'], { fetcher: f.fetch })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DATA_NOT_FOUND', ids: ['x'] });
    expect(f.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 250));
    await cache.lookup('movies', ['x'], ['title'], { fetcher: f.fetch });
    expect(f.calls.map((c) => c.ids)).toEqual([['1', 'x'], ['x']]);
  });

  it('does not refetch upstream nulls, but refetches columns past their TTL', async () => {
    const cache = await newCache({ movies: { columns: { title: 'String', year: 'Int' }, ttl: '300ms' } });
    const f = recordingFetcher((id) => ({ id, title: null, year: 2000 }));
    await cache.getData('movies', ['1'], ['title', 'year'], { fetcher: f.fetch });
    const df = await cache.getData('movies', ['1'], ['title', 'year'], { fetcher: f.fetch });
    expect(df.toRecords()).toEqual([{ id: '1', title: null, year: 2000 }]);
    expect(f.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 350));
    await cache.getData('movies', ['1'], ['year'], { fetcher: f.fetch });
    expect(f.calls.at(-1)).toMatchObject({ ids: ['1'], columns: ['year'] });
  });

  it('a type conflict names table, column and both types, and caches nothing of that batch', async () => {
    const cache = await newCache({ movies: { columns: { year: 'Int' }, batch: fast } });
    await cache.getData('movies', ['1'], ['year'], {
      fetcher: async (ids) => ids.map((id) => ({ id, year: 1999 })),
    });
    const err = await cache
      .getData('movies', ['2'], ['year'], {
        fetcher: async (ids) => ids.map((id) => ({ id, year: 'nineteen' })),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeConflictError);
    expect((err as Error).message).toMatch(/table "movies", column "year".*holds int.*sent string/);
    expect((await cache.stats('movies'))[0]?.rows).toBe(1);

    // Inferred columns (no config): a number column receiving text is a conflict too.
    const lib = await newCache();
    await lib.getData('t', ['1'], ['n'], { fetcher: async (ids) => ids.map((id) => ({ id, n: 4 })) });
    await lib.getData('t', ['2'], ['n'], { fetcher: async (ids) => ids.map((id) => ({ id, n: 4.5 })) });
    await expect(
      lib.getData('t', ['3'], ['n'], { fetcher: async (ids) => ids.map((id) => ({ id, n: '5' })) }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_FAILED', details: { reason: 'TYPE_CONFLICT' } });
  });

  it('evolves the schema: a new column is added, old rows get it fetched on demand', async () => {
    const cache = await newCache();
    const f = recordingFetcher(movieRow);
    await cache.getData('movies', ['1', '2'], ['title'], { fetcher: f.fetch });
    await cache.getData('movies', ['2'], ['rating'], { fetcher: f.fetch });
    f.calls.length = 0;
    const df = await cache.getData('movies', ['1', '2'], ['title', 'rating'], { fetcher: f.fetch });
    expect(f.calls.map((c) => [c.ids, c.columns])).toEqual([[['1'], ['rating']]]);
    expect(df.toRecords()).toEqual([
      { id: '1', title: 'Movie 1', rating: 0.1 },
      { id: '2', title: 'Movie 2', rating: 0.2 },
    ]);
  });

  it('single-flight: concurrent callers asking for the same ids share one fetch', async () => {
    const cache = await newCache();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const f = recordingFetcher(movieRow);
    const slow: Fetcher = async (ids, cols, ctx) => {
      await gate;
      return f.fetch(ids, cols, ctx);
    };
    const a = cache.getData('movies', range(1, 50), ['title'], { fetcher: slow });
    const b = cache.getData('movies', range(1, 60), ['title'], { fetcher: slow });
    await new Promise((r) => setTimeout(r, 50));
    release();
    const [da, db] = await Promise.all([a, b]);
    expect(da.height).toBe(50);
    expect(db.height).toBe(60);
    expect(f.calls.map((c) => c.ids)).toEqual([range(1, 50), range(51, 60)]);
  });

  it('retries a failed attempt with backoff and times out a hung call', async () => {
    const cache = await newCache({
      movies: { columns: { title: 'String' }, batch: { retries: 2, backoff: 5, timeout: 200 } },
    });
    let n = 0;
    const flaky: Fetcher = async (ids) => {
      n++;
      if (n < 3) throw new Error('connection reset');
      return ids.map((id) => ({ id, title: `t${id}` }));
    };
    const df = await cache.getData('movies', ['1'], ['title'], { fetcher: flaky });
    expect(n).toBe(3);
    expect(df.getColumn('title').toArray()).toEqual(['t1']);
    expect((await cache.stats('movies'))[0]?.fetches).toBe(3);

    const hung: Fetcher = () => new Promise(() => undefined);
    const err = await cache.getData('movies', ['2'], ['title'], { fetcher: hung }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect((err as Error).message).toMatch(/no answer within 200 ms/);
  });

  it('accepts a polars DataFrame from the fetcher', async () => {
    const cache = await newCache();
    const fetcher: Fetcher = async (ids) =>
      pl.DataFrame([pl.Series('id', ids, pl.String), pl.Series('score', ids.map(Number), pl.Float64)]);
    const df = await cache.getData('t', ['1', '2'], ['score'], { fetcher });
    expect(df.toRecords()).toEqual([
      { id: '1', score: 1 },
      { id: '2', score: 2 },
    ]);
  });

  it('a fetcher that omits a requested column gets COLUMN_NOT_FOUND', async () => {
    const cache = await newCache();
    const fetcher: Fetcher = async (ids) => ids.map((id) => ({ id }));
    await expect(cache.getData('t', ['1'], ['ghost'], { fetcher })).rejects.toMatchObject({
      code: 'COLUMN_NOT_FOUND',
    });
  });

  it('new ids into a large table add a delta and rewrite no part; a refused batch fails alone', async () => {
    const dir = await tempDir();
    const cache = createCache({
      cacheDir: dir,
      tables: { movies: { columns: { title: 'String', year: 'Int' }, batch: fast } },
    });
    const f = recordingFetcher(movieRow);
    await cache.getData('movies', range(1, 5_000), ['title', 'year'], { fetcher: f.fetch });
    await cache.compact('movies');
    const manifest = async () =>
      JSON.parse(await readFile(path.join(dir, 'movies', 'manifest.json'), 'utf8')) as {
        parts: { file: string }[];
        deltas: { file: string; rows: number }[];
      };
    const before = await manifest();
    expect(before.deltas).toEqual([]);
    // 2,000 new ids = 20 batches of 100; the one holding 6,101..6,200 sends text for an Int.
    const conflict = (id: string) =>
      Number(id) > 6_100 && Number(id) <= 6_200 ? { ...movieRow(id), year: 'n/a' } : movieRow(id);
    const events: FetchProgress[] = [];
    const res = await cache.lookup('movies', range(5_001, 7_000), ['title', 'year'], {
      fetcher: recordingFetcher(conflict).fetch,
      durable: true,
      onProgress: (e) => events.push(e),
    });
    const after = await manifest();
    // The base parts are untouched: the new rows are in deltas, merged on read.
    expect(after.parts.map((p) => p.file)).toEqual(before.parts.map((p) => p.file));
    expect(after.deltas.reduce((n, d) => n + d.rows, 0)).toBe(1_900);
    // The batch with a type conflict fails alone; the 19 others landed.
    expect(res.errors.size).toBe(100);
    expect([...res.errors.values()][0]).toBeInstanceOf(TypeConflictError);
    expect(res.rows.size).toBe(1_900);
    expect((await cache.stats('movies'))[0]?.rows).toBe(6_900);
    expect(events.at(-1)).toMatchObject({ status: 'PARTIAL', failedCount: 100, rowsFetched: 1_900 });
  });

  it('100,000 ids through getData: 100 batches of 1,000 and every row arrives', async () => {
    const cache = await newCache();
    const f = recordingFetcher(movieRow);
    const ids = range(1, 100_000);
    const df = await cache.getData('movies', ids, ['title', 'year'], { fetcher: f.fetch });
    expect(f.calls).toHaveLength(100);
    expect(f.calls.every((c) => c.ids.length === 1_000)).toBe(true);
    expect(df.height).toBe(100_000);
    expect(df.getColumn('id').toArray()).toEqual(ids);
    expect(
      df
        .getColumn('title')
        .toArray()
        .every((t, i) => t === `Movie ${i + 1}`),
    ).toBe(true);
    const again = await cache.getData('movies', ids, ['year'], { fetcher: f.fetch });
    expect(again.height).toBe(100_000);
    expect(f.calls).toHaveLength(100);
  });

  it('warm returns at once and fetches in the background through the configured source, visible as a job', async () => {
    const cache = await moduleSourceCache(
      `export async function fetch(ids, columns) {
         await new Promise((r) => setTimeout(r, 20));
         return ids.map((id) => ({ id, title: 'T' + id }));
       }`,
    );
    const seen: FetchProgress[] = [];
    const off = cache.jobs.subscribe((e) => seen.push(e));
    const first = cache.warm('movies', range(1, 350));
    expect(first).toMatchObject({ status: 'RUNNING', totalIds: 350, batchesDone: 0 });
    expect((await cache.stats('movies'))[0]?.rows).toBe(0);
    await vi.waitFor(() => expect(cache.jobs.get(first.jobId)?.status).toBe('SUCCEEDED'), {
      timeout: 10_000,
    });
    off();
    const mine = seen.filter((e) => e.jobId === first.jobId);
    expect(mine.at(-1)).toMatchObject({ batchesTotal: 4, batchesDone: 4, rowsFetched: 350, failedIds: [] });
    expect(mine.map((e) => e.batchesDone)).toEqual([0, 0, 1, 2, 3, 4]);
    expect((await cache.stats('movies'))[0]?.rows).toBe(350);
    const again = cache.warm('movies', range(1, 10));
    await vi.waitFor(() => expect(cache.jobs.get(again.jobId)?.message).toMatch(/already cached/));
    expect(() => cache.warm('nope', ['1'])).toThrow(/not configured/);
    await cache.close();
  });
});
