/** fetchProgress over a real graphql-ws client on a real socket. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FetchProgressDocument, JobDocument, MoviesDocument, WarmDocument } from '../gql/graphql.js';
import {
  serverTempDir,
  setSourceDelay,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';
import { createWsClient, type WsClient } from '../helpers/ws-client.js';

const BATCH = 10;
let server: TestServer;
let ws: WsClient;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir(), { maxSize: BATCH }) });
  ws = createWsClient(server.wsUrl);
});
afterAll(async () => {
  await ws.close();
  await server.stop();
});
afterEach(() => setSourceDelay(0));

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => String(from + i));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fetchProgress', () => {
  it('follows a warm job from RUNNING to SUCCEEDED, batchesDone counting up to batchesTotal', async () => {
    setSourceDelay(60);
    const warm = await server.request(WarmDocument, { table: 'movies', ids: range(1, 50) });
    expect(warm.data?.warm).toMatchObject({ table: 'movies', status: 'RUNNING', totalIds: 50 });
    const jobId = warm.data!.warm.id;

    const results = await ws.collect(FetchProgressDocument, { jobId });
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    const events = results.map((r) => r.data!.fetchProgress);
    expect(events.every((e) => e.jobId === jobId && e.table === 'movies')).toBe(true);
    expect(events.at(-1)).toMatchObject({
      status: 'SUCCEEDED',
      batchesTotal: 5,
      batchesDone: 5,
      rowsFetched: 50,
    });
    expect(events.slice(0, -1).every((e) => e.status === 'RUNNING')).toBe(true);
    const done = events.map((e) => e.batchesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    // Subscribed while the job ran: more than its final state was seen.
    expect(new Set(done).size).toBeGreaterThan(1);
  });

  it('gives a job that has ended its final state at once, then completes', async () => {
    const warm = await server.request(WarmDocument, { table: 'movies', ids: range(100, 15) });
    const jobId = warm.data!.warm.id;
    for (let i = 0; i < 100; i += 1) {
      const job = await server.request(JobDocument, { id: jobId });
      if (job.data?.job?.status !== 'RUNNING') break;
      await sleep(20);
    }
    const results = await ws.collect(FetchProgressDocument, { jobId }, 5_000);
    expect(results.map((r) => r.data?.fetchProgress)).toEqual([
      expect.objectContaining({ jobId, status: 'SUCCEEDED', batchesDone: 2, batchesTotal: 2 }),
    ]);
  });

  it('shows the jobs of queries that miss the cache to subscribers of their table', async () => {
    setSourceDelay(30);
    const events = ws.subscribe(FetchProgressDocument, { table: 'people' });
    const first = events.next();
    // graphql-ws does not acknowledge a subscribe; give the server a moment to register it.
    await sleep(300);
    const query = server.request(MoviesDocument, { ids: range(500, 30) });
    const seen = [(await first).value];
    while (seen.at(-1)?.data?.fetchProgress.status === 'RUNNING') seen.push((await events.next()).value);
    await events.return?.();
    expect(seen.at(-1)?.data?.fetchProgress).toMatchObject({ table: 'people', status: 'SUCCEEDED' });
    expect((await query).errors).toBeUndefined();
  });

  it('reports an unknown table as TABLE_NOT_FOUND', async () => {
    const results = await ws.collect(FetchProgressDocument, { table: 'nope' }, 5_000);
    expect(results).toEqual([
      {
        errors: [
          expect.objectContaining({
            path: ['fetchProgress'],
            extensions: { table: 'nope', code: 'TABLE_NOT_FOUND' },
          }),
        ],
      },
    ]);
  });
});
