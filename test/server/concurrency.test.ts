/** Concurrent requests for the same missing rows reach the upstream once (engine single-flight). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MoviesDocument } from '../gql/graphql.js';
import {
  resetSourceCalls,
  serverTempDir,
  setSourceDelay,
  sourceCalls,
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

it('two concurrent queries for the same missing IDs fetch them once', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => String(1000 + i));
  resetSourceCalls();
  // Slow upstream: the second request arrives while the first one's fetch is in flight.
  setSourceDelay(150);
  const [a, b] = await Promise.all([
    server.request(MoviesDocument, { ids }),
    server.request(MoviesDocument, { ids }),
  ]);
  expect(a.errors).toBeUndefined();
  expect(b).toEqual(a);
  const fetched = sourceCalls('movies').flatMap((c) => c.ids);
  expect(fetched.sort()).toEqual([...ids].sort());
  const directors = sourceCalls('people').flatMap((c) => c.ids);
  expect(directors).toHaveLength(new Set(directors).size);
});
