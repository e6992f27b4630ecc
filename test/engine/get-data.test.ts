import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fetcher } from '../../src/sources/types.js';
import { testCache as createCache } from '../helpers/cache.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';

async function newCache(tables: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const dir = await tempDir();
  return {
    cache: createCache({ cacheDir: path.join(dir, 'cache'), tables, ...extra }),
    dir: path.join(dir, 'cache'),
  };
}

describe('getData', () => {
  it('fetches a cold miss, writes a Parquet delta, and answers the next call from disk', async () => {
    const { cache, dir } = await newCache();
    const f = recordingFetcher(movieRow);
    // durable: answer once the rows are flushed to disk, not just in the write buffer.
    const df = await cache.getData('movies', ['2', '1', '3'], ['title', 'year'], {
      fetcher: f.fetch,
      durable: true,
    });
    expect(df.columns).toEqual(['id', 'title', 'year']);
    expect(df.toRecords()).toEqual([
      { id: '2', title: 'Movie 2', year: 1952 },
      { id: '1', title: 'Movie 1', year: 1951 },
      { id: '3', title: 'Movie 3', year: 1953 },
    ]);
    expect(f.calls).toEqual([{ ids: ['2', '1', '3'], columns: ['title', 'year'], batch: 1, attempt: 1 }]);
    const files = await readdir(path.join(dir, 'movies'));
    expect(files).toContain('manifest.json');
    expect(files.filter((x) => x.endsWith('.parquet'))).toHaveLength(1);

    // A fresh engine over the same folder reads what the first one wrote.
    const again = createCache({ cacheDir: dir });
    const df2 = await again.getData('movies', ['3', '1'], ['year', 'title'], { fetcher: f.fetch });
    expect(df2.toRecords()).toEqual([
      { id: '3', year: 1953, title: 'Movie 3' },
      { id: '1', year: 1951, title: 'Movie 1' },
    ]);
    expect(f.calls).toHaveLength(1);
    await cache.close();
  });

  it('fetches only the missing ids and, for incomplete rows, only the missing columns', async () => {
    const { cache } = await newCache();
    const f = recordingFetcher(movieRow);
    await cache.getData('movies', ['1', '2', '3'], ['title'], { fetcher: f.fetch });
    await cache.getData('movies', ['2'], ['year'], { fetcher: f.fetch });
    f.calls.length = 0;
    const df = await cache.getData('movies', ['1', '2', '3', '4'], ['title', 'year'], { fetcher: f.fetch });
    const asked = f.calls.map((c) => ({ ids: c.ids, columns: c.columns }));
    expect(asked).toHaveLength(2);
    expect(asked).toContainEqual({ ids: ['4'], columns: ['title', 'year'] });
    expect(asked).toContainEqual({ ids: ['1', '3'], columns: ['year'] });
    expect(df.toRecords().map((r) => r['year'])).toEqual([1951, 1952, 1953, 1954]);
  });

  it('extracts dot paths into JSON columns through the whole flow', async () => {
    const { cache } = await newCache({ movies: { columns: { title: 'String', details: 'JSON' } } });
    const f = recordingFetcher(movieRow);
    const df = await cache.getData(
      'movies',
      [5, 6],
      ['details.cast.0.name', 'details.meta.score', 'details.meta.tags', 'details.nope'],
      {
        fetcher: f.fetch,
      },
    );
    expect(f.calls[0]?.columns).toEqual(['details']);
    expect(df.toRecords()).toEqual([
      {
        id: '5',
        'details.cast.0.name': 'Actor 5',
        'details.meta.score': 5,
        'details.meta.tags': '["a","b"]',
        'details.nope': null,
      },
      {
        id: '6',
        'details.cast.0.name': 'Actor 6',
        'details.meta.score': 6,
        'details.meta.tags': '["a","b"]',
        'details.nope': null,
      },
    ]);
    const looked = await cache.lookup('movies', ['5'], ['details.meta', 'details'], { fetcher: f.fetch });
    expect(looked.rows.get('5')).toEqual({
      'details.meta': { score: 5, tags: ['a', 'b'] },
      details: { cast: [{ name: 'Actor 5', role: 'lead' }], meta: { score: 5, tags: ['a', 'b'] } },
    });
    await expect(cache.getData('movies', ['5'], ['title.x'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('movies', ['5'], ['details..x'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('movies', ['5'], ['budget'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'COLUMN_NOT_FOUND',
    });
  });

  it('refuses text that is not JSON at fetch time: that batch is not cached, earlier rows stay', async () => {
    const { cache } = await newCache({ movies: { columns: { details: 'JSON' }, batch: { retries: 0 } } });
    const fetcher: Fetcher = async (ids) =>
      ids.map((id) => ({ id, details: id === '2' ? '{"broken": ' : '{"a": 1}' }));
    expect((await cache.lookup('movies', ['1'], ['details.a'], { fetcher })).rows.get('1')).toEqual({
      'details.a': 1,
    });
    const res = await cache.lookup('movies', ['2', '3'], ['details.a'], { fetcher });
    expect(res.rows.size).toBe(0);
    expect(res.errors.get('2')).toMatchObject({
      code: 'UPSTREAM_FAILED',
      details: {
        reason: 'VALUE_REFUSED',
        table: 'movies',
        column: 'details',
        id: '2',
        value: '"{\\"broken\\": "',
      },
    });
    expect(res.errors.get('3')).toBe(res.errors.get('2'));
    expect(res.cellErrors.size).toBe(0);
    expect((await cache.stats('movies'))[0]?.rows).toBe(1);
    const df = await cache.getData('movies', ['1'], ['details.a'], { fetcher });
    expect(df.toRecords()).toEqual([{ id: '1', 'details.a': 1 }]);
  });

  it('answers each distinct id once, in order of first appearance, and validates ids', async () => {
    const { cache } = await newCache();
    const f = recordingFetcher(movieRow);
    const df = await cache.getData('movies', [3, 1, 3, 2, 1], ['title'], { fetcher: f.fetch });
    expect(df.getColumn('id').toArray()).toEqual(['3', '1', '2']);
    expect(f.calls[0]?.ids).toEqual(['3', '1', '2']);
    await expect(cache.getData('movies', ['1', 2], ['title'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('movies', [''], ['title'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('movies', [1.5], ['title'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('../etc', ['1'], ['title'], { fetcher: f.fetch })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(cache.getData('nope', ['1'], ['title'])).rejects.toMatchObject({ code: 'TABLE_NOT_FOUND' });
  });

  it('keeps ids as text: "007" and "7" are two ids', async () => {
    const { cache } = await newCache();
    const fetcher: Fetcher = async (ids, cols) =>
      ids.map((id) => ({ id, ...Object.fromEntries(cols.map((c) => [c, `v${id}`])) }));
    const df = await cache.getData('t', ['007', '7', '9007199254740993'], ['v'], { fetcher });
    expect(df.toRecords()).toEqual([
      { id: '007', v: 'v007' },
      { id: '7', v: 'v7' },
      { id: '9007199254740993', v: 'v9007199254740993' },
    ]);
  });
});
