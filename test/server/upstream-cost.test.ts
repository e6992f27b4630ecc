/** maxUpstreamCost: a cold, expensive query is refused with LIMIT_EXCEEDED per entry; warmed, it is served. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobDocument, MoviesDocument, RowsDocument, WarmDocument } from '../gql/graphql.js';
import {
  serverTempDir,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()), maxUpstreamCost: 100 });
});
afterAll(() => server.stop());

const ids = Array.from({ length: 50 }, (_, i) => String(i + 1));

it('refuses a cold query costing more than the limit before fetching, then serves it once warmed', async () => {
  const before = sourceCalls('movies').length;
  const refused = await server.request(MoviesDocument, { ids });
  // Each uncached entry is refused at its own path; `data` itself stays.
  expect(refused.data?.movies).toEqual(ids.map(() => null));
  expect(refused.errors).toHaveLength(ids.length);
  expect(refused.errors?.[0]).toMatchObject({
    path: ['movies', 0],
    extensions: { code: 'LIMIT_EXCEEDED', table: 'movies', limit: 'upstreamCost', value: 100 },
  });
  expect(refused.errors?.[0]?.message).toMatch(/warm/);
  expect(sourceCalls('movies').length).toBe(before);

  // Cheap: a few IDs, few columns.
  const cheap = await server.request(RowsDocument, { table: 'movies', ids: ['1', '2'], columns: ['title'] });
  expect(cheap.errors).toBeUndefined();

  const warm = await server.request(WarmDocument, { table: 'movies', ids });
  const jobId = warm.data!.warm.id;
  for (let i = 0; i < 200; i += 1) {
    const job = await server.request(JobDocument, { id: jobId });
    if (job.data?.job?.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const rows = await server.request(RowsDocument, {
    table: 'movies',
    ids,
    columns: ['title', 'year', 'rating', 'details', 'director_id'],
  });
  expect(rows.errors).toBeUndefined();
  expect(rows.data?.rows).toHaveLength(50);
});
