/**
 * The loader contract end to end (real engine, real HTTP): however many entities and fields a
 * query has, it costs one cache lookup per table, and a cold cache costs exactly the planned
 * upstream batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoviesDocument } from '../gql/graphql.js';
import {
  resetSourceCalls,
  serverTempDir,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

const BATCH = 100;
const ids = Array.from({ length: 500 }, (_, i) => String(i + 1));
// The test source's director of movie n is person 1 + n % 50.
const directors = new Set(ids.map((id) => String(1 + (Number(id) % 50))));

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir(), { maxSize: BATCH }) });
});
afterAll(() => server.stop());

async function totalLookups(): Promise<number> {
  return (await server.cache.stats()).reduce((n, s) => n + s.lookups, 0);
}

describe('loader batching', () => {
  it('500 movies × 6 fields × their director: 2 lookups, and cold, exactly the planned batches', async () => {
    resetSourceCalls();
    const before = await totalLookups();
    const result = await server.request(MoviesDocument, { ids });
    expect(result.errors).toBeUndefined();
    expect(result.data?.movies).toHaveLength(500);
    expect(result.data?.movies[41]).toMatchObject({
      id: '42',
      title: 'Movie 42',
      year: 1992,
      director_id: '43',
      director: { id: '43', name: 'Person 43', born: 1943 },
    });
    expect((await totalLookups()) - before).toBe(2);

    const movieCalls = sourceCalls('movies');
    const peopleCalls = sourceCalls('people');
    expect(movieCalls).toHaveLength(Math.ceil(ids.length / BATCH));
    expect(peopleCalls).toHaveLength(Math.ceil(directors.size / BATCH));
    expect(movieCalls.flatMap((c) => c.ids).sort()).toEqual([...ids].sort());
    // The union of the columns asked for, in one fetch per batch (not one per field).
    for (const call of movieCalls) {
      expect([...call.columns].sort()).toEqual(['details', 'director_id', 'rating', 'title', 'year']);
    }
    expect(new Set(peopleCalls.flatMap((c) => c.ids))).toEqual(directors);
  });

  it('warm: the same query makes 2 lookups again and no upstream call', async () => {
    resetSourceCalls();
    const before = await totalLookups();
    const result = await server.request(MoviesDocument, { ids });
    expect(result.errors).toBeUndefined();
    expect((await totalLookups()) - before).toBe(2);
    expect(sourceCalls()).toEqual([]);
  });
});
