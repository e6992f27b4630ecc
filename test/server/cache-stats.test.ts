/** `cacheStats` counts the lookups of the request it is part of, not only those before it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  serverTempDir,
  setSourceDelay,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(async () => {
  setSourceDelay(0);
  await server.stop();
});

const COUNTS = '{ table hits misses lookups fetches }';
type Counts = { table: string; hits: number; misses: number; lookups: number; fetches: number };

async function stats(query: string): Promise<Record<string, Counts>> {
  const result = await server.requestText(query);
  expect(result.errors).toBeUndefined();
  const list = (result.data as { cacheStats: Counts[] }).cacheStats;
  return Object.fromEntries(list.map((s) => [s.table, s]));
}

describe('cacheStats', () => {
  it('counts a query answered just before it', async () => {
    await server.requestText('{ movies(ids: ["1", "2"]) { title } }');
    expect((await stats(`{ cacheStats(table: "movies") ${COUNTS} }`))['movies']).toEqual({
      table: 'movies',
      hits: 0,
      misses: 2,
      lookups: 1,
      fetches: 1,
    });
  });

  it('counts the lookups of its own request, relations included, even while they fetch', async () => {
    // A slow upstream: the table fields are still fetching when cacheStats starts resolving.
    setSourceDelay(150);
    const same = await stats(`{ movies(ids: ["1", "3"]) { title director { name } } cacheStats ${COUNTS} }`);
    setSourceDelay(0);
    // Movie 1 lacks director_id (fetched before without it): a miss, like movie 3; the two
    // miss different columns, so they go upstream as two batches.
    expect(same['movies']).toEqual({ table: 'movies', hits: 0, misses: 4, lookups: 2, fetches: 3 });
    expect(same['people']).toEqual({ table: 'people', hits: 0, misses: 2, lookups: 1, fetches: 1 });

    const again = await stats(`{ movies(ids: ["1", "3"]) { title } cacheStats(table: "movies") ${COUNTS} }`);
    expect(again['movies']).toEqual({ table: 'movies', hits: 2, misses: 4, lookups: 3, fetches: 3 });
  });
});
