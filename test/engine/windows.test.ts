import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { TableStore } from '../../src/cache/table-store.js';
import type { FetchProgress } from '../../src/engine/types.js';
import { WINDOW_IDS } from '../../src/engine/windows.js';
import { testCache as createCache, moduleSourceCache } from '../helpers/cache.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('a request larger than a window', () => {
  it('getData of 250,001 ids, every 5th cached: 100 batches of ceil(missing / 100), nothing fetched twice', async () => {
    expect(WINDOW_IDS).toBeLessThan(250_001);
    const dir = await tempDir();
    const cache = createCache({ cacheDir: path.join(dir, 'cache'), tables: {} });
    const f = recordingFetcher(movieRow);
    const ids = range(1, 250_001);
    const cached = ids.filter((_, i) => i % 5 === 0);
    await cache.getData('movies', cached, ['title', 'year'], { fetcher: f.fetch });
    const before = f.calls.length;
    const df = await cache.getData('movies', ids, ['title', 'year'], { fetcher: f.fetch });
    const calls = f.calls.slice(before);
    const missing = ids.length - cached.length;
    const size = Math.ceil(missing / 100);
    expect(calls.map((c) => c.ids.length)).toEqual([...Array(99).fill(size), missing - 99 * size]);
    const fetched = calls.flatMap((c) => c.ids);
    expect(new Set(fetched).size).toBe(missing);
    const cachedSet = new Set(cached);
    expect(fetched.some((id) => cachedSet.has(id))).toBe(false);
    expect(df.height).toBe(ids.length);
    expect(df.getColumn('id').toArray()).toEqual(ids);
    const titles = df.getColumn('title').toArray();
    expect(titles.every((t, i) => t === `Movie ${i + 1}`)).toBe(true);

    // Now cached whole: read once, window by window, not counted and then read again.
    const reads = vi.spyOn(TableStore.prototype, 'lookup');
    const again = await cache.getData('movies', ids, ['year', 'title'], { fetcher: f.fetch });
    expect(reads.mock.calls.reduce((n, [some]) => n + some.length, 0)).toBe(ids.length);
    reads.mockRestore();
    expect(f.calls.length).toBe(before + 100);
    expect(again.columns).toEqual(['id', 'year', 'title']);
    expect(again.getColumn('id').toArray()).toEqual(ids);
    expect(again.getColumn('title').toArray()).toEqual(titles);
    expect(again.getColumn('year').toArray()).toEqual(df.getColumn('year').toArray());
  });

  it('a warm of 250,001 ids is one job: its planned batch count from the first event to the last', async () => {
    const cache = await moduleSourceCache(
      `export async function fetch(ids, columns) {
         (globalThis.__windowCalls ??= []).push(ids.length);
         return ids.map((id) => ({ id, title: 'T' + id }));
       }`,
    );
    (globalThis as { __windowCalls?: number[] }).__windowCalls = [];
    const seen: FetchProgress[] = [];
    const off = cache.jobs.subscribe((e) => seen.push(e));
    const first = cache.warm('movies', range(1, 250_001));
    await vi.waitFor(() => expect(cache.jobs.get(first.jobId)?.status).not.toBe('RUNNING'), {
      timeout: 60_000,
    });
    off();
    const mine = seen.filter((e) => e.jobId === first.jobId);
    // The warm's own first event, then the job's: 100 batches planned throughout.
    expect(mine.slice(1).every((e) => e.batchesTotal === 100)).toBe(true);
    expect(mine.map((e) => e.batchesDone)).toEqual([0, 0, ...range(1, 100).map(Number)]);
    expect(mine.at(-1)).toMatchObject({ status: 'SUCCEEDED', totalIds: 250_001, rowsFetched: 250_001 });
    const calls = (globalThis as { __windowCalls?: number[] }).__windowCalls ?? [];
    expect(calls).toEqual([...Array(99).fill(2_501), 250_001 - 99 * 2_501]);
    await cache.close();
    expect((await cache.stats('movies'))[0]?.rows).toBe(250_001);
  });
});
