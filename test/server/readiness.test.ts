/** `GET /health/ready` on a real server: per-source state, breaker state, 503 when a source is down. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheGateConfig } from '../../src/config/types.js';
import type { SourceHealth } from '../../src/sources/index.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

interface ReadyBody {
  status: string;
  reason?: string;
  sources: SourceHealth[];
}

async function ready(server: TestServer): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${server.origin}/health/ready`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

/** The test config, with `people` read from PostgreSQL on a port where nothing listens. */
async function configWithDeadPeople(): Promise<CacheGateConfig> {
  const config = await testConfig(await serverTempDir());
  config.tables['people']!.source = {
    kind: 'postgres',
    url: 'postgres://postgres@127.0.0.1:1/x',
    table: 'people',
    idColumn: 'id',
    breaker: { failures: 2, halfOpenAfterMs: 60_000, maxHalfOpenAfterMs: 60_000 },
  };
  return config;
}

describe('GET /health/ready', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: await configWithDeadPeople() });
  });
  afterAll(() => server.stop());

  it('is 503 with a per-source body while one source is down; /health stays 200', async () => {
    const { status, body } = await ready(server);
    expect(status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.reason).toContain('people');
    const byTable = Object.fromEntries(body.sources.map((s) => [s.table, s]));
    expect(byTable['movies']).toMatchObject({ kind: 'module', state: 'up', breaker: 'closed' });
    expect(byTable['people']).toMatchObject({
      kind: 'postgres',
      state: 'down',
      breaker: 'closed',
      reason: 'ECONNREFUSED',
    });
    // Liveness is about this process, not its upstreams.
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
  });

  it('shows the open breaker and its retryAt, and clients get CIRCUIT_OPEN with when to retry', async () => {
    await ready(server);
    const { body } = await ready(server);
    const people = body.sources.find((s) => s.table === 'people')!;
    expect(people).toMatchObject({ state: 'down', breaker: 'open', reason: 'CIRCUIT_OPEN' });
    expect(Date.parse(people.retryAt!)).toBeGreaterThan(Date.now());
    const calls = people.calls;

    const answer = await server.requestText('{ people(ids: ["1"]) { id name } }');
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_FAILED',
      reason: 'CIRCUIT_OPEN',
      retryAt: people.retryAt,
    });
    expect(answer.errors?.[0]?.extensions?.['retryAfterMs']).toBeGreaterThan(0);
    // Neither the query nor further readiness checks called the dead upstream again.
    const again = (await ready(server)).body.sources.find((s) => s.table === 'people')!;
    expect(again.calls).toBe(calls);
    expect(again.rejected).toBeGreaterThan(people.rejected);
  });
});

describe('GET /health/ready with every source up', () => {
  it('is 200', async () => {
    const server = await startTestServer({ config: await testConfig(await serverTempDir()) });
    try {
      const { status, body } = await ready(server);
      expect(status).toBe(200);
      expect(body.status).toBe('ready');
      expect(body.sources.map((s) => [s.table, s.state])).toEqual([
        ['movies', 'up'],
        ['people', 'up'],
      ]);
    } finally {
      await server.stop();
    }
  });
});
