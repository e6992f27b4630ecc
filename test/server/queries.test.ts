/** Queries over real HTTP against a real server: cold and warm, dot paths, errors and their codes. */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CacheStatsDocument,
  InvalidateDocument,
  MoviePathsDocument,
  MoviesDocument,
  RowsDocument,
} from '../gql/graphql.js';
import {
  resetSourceCalls,
  serverTempDir,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(() => server.stop());

const codes = (result: { errors?: readonly { extensions?: Record<string, unknown>; path?: unknown }[] }) =>
  (result.errors ?? []).map((e) => ({ code: e.extensions?.['code'], path: e.path }));

describe('queries', () => {
  it('serves a cold query from the upstream, then the same query from the cache', async () => {
    resetSourceCalls();
    const cold = await server.request(MoviesDocument, { ids: ['7', '3'] });
    expect(cold.errors).toBeUndefined();
    expect(cold.data?.movies).toEqual([
      {
        id: '7',
        title: 'Movie 7',
        year: 1957,
        rating: 0.7,
        details: {
          cast: [
            { name: 'Actor 7', role: 'lead' },
            { name: 'Actor 8', role: 'support' },
          ],
          meta: { score: 0 },
        },
        director_id: '8',
        director: { id: '8', name: 'Person 8', born: 1908 },
      },
      expect.objectContaining({ id: '3', title: 'Movie 3', director: expect.objectContaining({ id: '4' }) }),
    ]);
    expect(sourceCalls().map((c) => c.table)).toEqual(['movies', 'people']);

    resetSourceCalls();
    const warm = await server.request(MoviesDocument, { ids: ['7', '3'] });
    expect(warm).toEqual(cold);
    expect(sourceCalls()).toEqual([]);
  });

  it('reads dot paths into JSON columns through field(path:), literal or variable', async () => {
    const result = await server.request(MoviePathsDocument, { id: '12', path: 'details.cast.1.name' });
    expect(result.errors).toBeUndefined();
    expect(result.data?.movie).toEqual({
      id: '12',
      title: 'Movie 12',
      firstActor: 'Actor 12',
      score: 5,
      chosen: 'Actor 13',
    });
  });

  it('gives null and DATA_NOT_FOUND with its path for each unknown ID, serving the rest', async () => {
    const result = await server.request(MoviesDocument, { ids: ['1', '999999999', '2', 'nope'] });
    expect(result.data?.movies.map((m) => m?.id ?? null)).toEqual(['1', null, '2', null]);
    expect(codes(result)).toEqual([
      { code: 'DATA_NOT_FOUND', path: ['movies', 1] },
      { code: 'DATA_NOT_FOUND', path: ['movies', 3] },
    ]);
    // Asking for the ID alone still tells known from unknown IDs.
    const idsOnly = await server.requestText('{ movies(ids: ["30", "0"]) { id } }');
    expect(idsOnly.data).toEqual({ movies: [{ id: '30' }, null] });
    expect(codes(idsOnly)).toEqual([{ code: 'DATA_NOT_FOUND', path: ['movies', 1] }]);
    const single = await server.request(MoviePathsDocument, { id: '0', path: 'title' });
    expect(single.data).toEqual({ movie: null });
    expect(codes(single)).toEqual([{ code: 'DATA_NOT_FOUND', path: ['movie'] }]);
  });

  it('fails only the field of an unknown column (COLUMN_NOT_FOUND) or a bad path (BAD_INPUT)', async () => {
    const unknown = await server.request(MoviePathsDocument, { id: '5', path: 'budget' });
    expect(unknown.data?.movie).toMatchObject({
      id: '5',
      title: 'Movie 5',
      chosen: null,
      firstActor: 'Actor 5',
    });
    expect(codes(unknown)).toEqual([{ code: 'COLUMN_NOT_FOUND', path: ['movie', 'chosen'] }]);
    expect(unknown.errors?.[0]?.message).toMatch(/Column "budget" does not exist in table "movies"/);

    const bad = await server.request(MoviePathsDocument, { id: '5', path: 'details..cast' });
    expect(bad.data?.movie).toMatchObject({ title: 'Movie 5', chosen: null });
    expect(codes(bad)).toEqual([{ code: 'BAD_INPUT', path: ['movie', 'chosen'] }]);
  });

  it('refuses an invalid JSON value at fetch time (UPSTREAM_FAILED, VALUE_REFUSED), caching nothing', async () => {
    const result = await server.request(MoviePathsDocument, { id: '77777', path: 'details' });
    expect(result.data?.movie).toBeNull();
    expect(codes(result)).toEqual([{ code: 'UPSTREAM_FAILED', path: ['movie'] }]);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      reason: 'VALUE_REFUSED',
      table: 'movies',
      column: 'details',
      id: '77777',
      type: 'JSON',
    });
    // The refused value itself is upstream data: it is in the server log, not in the answer.
    expect(result.errors?.[0]?.extensions?.['value']).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/VALUE_REFUSED/);
  });

  it('fails only the entries of a failed upstream batch (UPSTREAM_FAILED), serving the rest', async () => {
    const result = await server.requestText(
      '{ movies(ids: ["66666"]) { id title } people(ids: ["9"]) { id name } }',
    );
    expect(result.data).toEqual({ movies: [null], people: [{ id: '9', name: 'Person 9' }] });
    expect(codes(result)).toEqual([{ code: 'UPSTREAM_FAILED', path: ['movies', 0] }]);
  });

  it('serves generic rows of any table, keyed by the requested column strings', async () => {
    const result = await server.request(RowsDocument, {
      table: 'movies',
      ids: ['4', '404040404'],
      columns: ['title', 'details.meta.score'],
    });
    expect(result.data?.rows).toEqual([
      { id: '4', values: { title: 'Movie 4', 'details.meta.score': 4 } },
      null,
    ]);
    expect(codes(result)).toEqual([{ code: 'DATA_NOT_FOUND', path: ['rows', 1] }]);

    const noTable = await server.request(RowsDocument, { table: 'secrets', ids: ['1'], columns: ['x'] });
    // Its entries fail, not the response: sibling root fields would still be served.
    expect(noTable.data).toEqual({ rows: [null] });
    expect(codes(noTable)).toEqual([{ code: 'TABLE_NOT_FOUND', path: ['rows', 0] }]);
  });

  it('invalidates rows, so the next query fetches them again; reports cache stats', async () => {
    await server.request(MoviesDocument, { ids: ['20', '21'] });
    const dropped = await server.request(InvalidateDocument, { table: 'movies', ids: ['20', '21'] });
    expect(dropped.data?.invalidate).toBe(2);
    resetSourceCalls();
    await server.request(MoviesDocument, { ids: ['20', '21'] });
    expect(sourceCalls('movies').flatMap((c) => c.ids)).toEqual(['20', '21']);

    const stats = await server.request(CacheStatsDocument, { table: 'movies' });
    expect(stats.data?.cacheStats).toEqual([
      expect.objectContaining({ table: 'movies', rows: expect.any(Number), lookups: expect.any(Number) }),
    ]);
    expect(stats.data?.cacheStats?.[0]?.fetches).toBeGreaterThan(0);
    const unknown = await server.request(CacheStatsDocument, { table: 'cache' });
    expect(codes(unknown)).toEqual([{ code: 'TABLE_NOT_FOUND', path: ['cacheStats'] }]);

    const all = await server.request(InvalidateDocument, { table: 'people' });
    expect(all.data?.invalidate).toBeGreaterThan(0);
    const empty = await server.request(CacheStatsDocument, { table: 'people' });
    expect(empty.data?.cacheStats?.[0]?.rows).toBe(0);
  });

  it('refuses over-deep queries and alias floods before running them', async () => {
    // The test schema has no deep relations: an invalid deep query still meets the depth rule.
    const deep = `{ movies(ids: ["1"]) { ${'director { '.repeat(13)}id${' }'.repeat(13)} } }`;
    expect(codes(await server.requestText(deep))).toContainEqual({ code: 'LIMIT_EXCEEDED', path: undefined });
    const introspection = await server.requestText(getIntrospectionQuery());
    expect(introspection.errors).toBeUndefined();
    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(codes(await server.requestText(`{ ${aliases} }`))).toEqual([
      { code: 'LIMIT_EXCEEDED', path: undefined },
    ]);
  });
});
