import { describe, expect, it } from 'vitest';
import type { Cache, LookupResult } from '../../src/engine/types.js';
import {
  ColumnNotFoundError,
  DataNotFoundError,
  JsonParseError,
  LimitExceededError,
} from '../../src/errors.js';
import { createEntityLoader, createLoaders } from '../../src/loaders/index.js';

interface LookupCall {
  table: string;
  ids: string[];
  columns: string[];
  options: unknown;
}

/**
 * A cache answering `lookup` from a function, recording each call (dataloader's own test habit:
 * the loader and the list of calls it made). Only `lookup` and `tables` are used by loaders.
 */
function fakeCache(answer: (ids: readonly string[], columns: readonly string[]) => LookupResult) {
  const calls: LookupCall[] = [];
  const cache = {
    config: { tables: { movies: { columns: { title: 'String', year: 'Int' } } } },
    tables: () => ['movies'],
    lookup: async (table: string, ids: readonly string[], columns: readonly string[], options?: unknown) => {
      calls.push({ table, ids: [...ids], columns: [...columns], options });
      return answer(ids, columns);
    },
  } as unknown as Cache;
  return { cache, calls };
}

const allFound = (ids: readonly string[], columns: readonly string[]): LookupResult => ({
  rows: new Map(ids.map((id) => [id, Object.fromEntries(columns.map((c) => [c, `${id}:${c}`]))])),
  errors: new Map(),
  cellErrors: new Map(),
});

describe('entity loader', () => {
  it('merges the keys of one tick into one lookup: distinct IDs × union of columns', async () => {
    const { cache, calls } = fakeCache(allFound);
    const loader = createEntityLoader(cache, 'movies');
    const rows = await Promise.all([
      loader.load({ id: '1', columns: ['title'] }),
      loader.load({ id: '2', columns: ['year'] }),
      loader.load({ id: '1', columns: ['details.cast.0.name', 'year'] }),
    ]);
    expect(calls).toEqual([
      { table: 'movies', ids: ['1', '2'], columns: ['title', 'year', 'details.cast.0.name'], options: {} },
    ]);
    expect(rows.map((r) => [r.id, r.values['year']])).toEqual([
      ['1', '1:year'],
      ['2', '2:year'],
      ['1', '1:year'],
    ]);
  });

  it('asks for one configured column when only IDs are wanted, to learn which exist', async () => {
    const { cache, calls } = fakeCache(allFound);
    const row = await createEntityLoader(cache, 'movies').load({ id: '1', columns: [] });
    expect(row.id).toBe('1');
    expect(calls.map((c) => c.columns)).toEqual([['title']]);
  });

  it('answers each key with its own error, so one bad ID fails only itself', async () => {
    const { cache } = fakeCache((ids, columns) => {
      const result = allFound(
        ids.filter((id) => id !== '404'),
        columns,
      );
      result.errors.set('404', new DataNotFoundError('movies', ['404']));
      result.cellErrors.set('2', new Map([['details', new JsonParseError('movies', '2', 'details')]]));
      return result;
    });
    const loader = createEntityLoader(cache, 'movies');
    const [ok, bad, cell] = await Promise.allSettled([
      loader.load({ id: '1', columns: ['details'] }),
      loader.load({ id: '404', columns: ['details'] }),
      loader.load({ id: '2', columns: ['details'] }),
    ]);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { id: '1' } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'DATA_NOT_FOUND' } });
    expect(cell.status === 'fulfilled' && cell.value.cellErrors?.get('details')?.code).toBe(
      'JSON_PARSE_ERROR',
    );
  });

  it('drops an unknown column and looks the rest up again; only that column carries the error', async () => {
    const { cache, calls } = fakeCache((ids, columns) => {
      if (columns.includes('nope')) throw new ColumnNotFoundError('movies', 'nope', ['title']);
      return allFound(ids, columns);
    });
    const loader = createEntityLoader(cache, 'movies');
    const row = await loader.load({ id: '1', columns: ['nope', 'nope.deeper', 'title'] });
    expect(calls.map((c) => c.columns)).toEqual([['nope', 'nope.deeper', 'title'], ['title']]);
    expect(row.values).toEqual({ title: '1:title' });
    expect(row.columnErrors.get('nope')?.code).toBe('COLUMN_NOT_FOUND');
    expect(row.columnErrors.get('nope.deeper')?.code).toBe('COLUMN_NOT_FOUND');
  });

  it('fails every key of the batch with a whole-lookup error, and passes maxUpstreamCost', async () => {
    const { cache, calls } = fakeCache(() => {
      throw new LimitExceededError('too expensive');
    });
    const loader = createEntityLoader(cache, 'movies', { maxUpstreamCost: 10 });
    const results = await Promise.allSettled([
      loader.load({ id: '1', columns: ['title'] }),
      loader.load({ id: '2', columns: ['title'] }),
    ]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as LimitExceededError).code)).toEqual([
      'LIMIT_EXCEEDED',
      'LIMIT_EXCEEDED',
    ]);
    expect(calls[0]?.options).toEqual({ maxUpstreamCost: 10 });
  });

  it('refuses an unconfigured table before any lookup', () => {
    const { cache, calls } = fakeCache(allFound);
    expect(() => createLoaders(cache).get('../etc')).toThrow(/Table "..\/etc" is not configured/);
    expect(calls).toEqual([]);
  });
});
