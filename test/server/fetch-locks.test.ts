/**
 * The cross-replica fetch locks seen from outside: `/health/ready` shows their state without
 * making the server unready when Redis is down (fetches fall open), `/metrics` exposes it.
 */
import { describe, expect, it } from 'vitest';
import { closedRedisUrl, lockPrefix, noRedis, REDIS_URL } from '../helpers/redis.js';
import { serverTempDir, sourceCalls, startTestServer, testConfig } from '../helpers/server.js';

async function serverWithLocks(redisUrl: string) {
  const config = await testConfig(await serverTempDir());
  return startTestServer({
    config: { ...config, fetchLocks: { redisUrl, prefix: lockPrefix(), ttlMs: 15_000, maxWaitMs: 120_000 } },
  });
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('fetch locks in health and metrics', () => {
  it('with Redis unreachable: queries are answered, ready stays 200, the locks show down', async () => {
    const server = await serverWithLocks(await closedRedisUrl());
    try {
      const result = await server.requestText('{ movies(ids: ["1", "2"]) { id title } }');
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({
        movies: [
          { id: '1', title: expect.any(String) },
          { id: '2', title: expect.any(String) },
        ],
      });
      expect(sourceCalls('movies').length).toBeGreaterThan(0);
      const ready = await fetch(`${server.origin}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { fetchLocks: { state: string; errors: number } };
      expect(body.fetchLocks.state).toBe('down');
      expect(body.fetchLocks.errors).toBeGreaterThan(0);
      const text = await (await fetch(`${server.origin}/metrics`)).text();
      expect(value(text, 'cachegate_fetch_locks_up')).toBe(0);
      expect(value(text, 'cachegate_fetch_lock_errors_total')).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it.skipIf(noRedis)('with Redis up: the locks show up', async () => {
    const server = await serverWithLocks(REDIS_URL!);
    try {
      expect((await server.requestText('{ movies(ids: ["3"]) { id } }')).errors).toBeUndefined();
      const body = (await (await fetch(`${server.origin}/health/ready`)).json()) as {
        fetchLocks: { state: string };
      };
      expect(body.fetchLocks.state).toBe('up');
      const text = await (await fetch(`${server.origin}/metrics`)).text();
      expect(value(text, 'cachegate_fetch_locks_up')).toBe(1);
      expect(value(text, 'cachegate_fetch_lock_errors_total')).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('without fetchLocks there are no lock series, and ready says off', async () => {
    const server = await startTestServer({ config: await testConfig(await serverTempDir()) });
    try {
      const body = (await (await fetch(`${server.origin}/health/ready`)).json()) as {
        fetchLocks: { state: string };
      };
      expect(body.fetchLocks.state).toBe('off');
      expect(await (await fetch(`${server.origin}/metrics`)).text()).not.toContain(
        'cachegate_fetch_locks_up',
      );
    } finally {
      await server.stop();
    }
  });
});
