import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noRedis, REDIS_URL } from '../helpers/redis.js';
import { startCli, tempCwd } from './cli-process.js';
import { writeModuleConfig } from './module-source.js';

describe('cachegate serve', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    await writeModuleConfig(dir);
  });
  afterAll(() => cleanup());

  it('prints the GraphiQL URL, answers /health and /graphql, and stops on SIGTERM with exit 0', async () => {
    const cli = startCli(['serve', '--port', '0'], dir);
    try {
      const [, url] = await cli.waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/);
      const base = new URL(url!);
      const health = await fetch(new URL('/health', base));
      expect(health.status).toBe(200);
      const response = await fetch(base, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ movies(ids: ["1", "2"]) { id title year } }' }),
      });
      expect(await response.json()).toEqual({
        data: {
          movies: [
            { id: '1', title: 'Movie 1', year: 1901 },
            { id: '2', title: 'Movie 2', year: 1902 },
          ],
        },
      });
    } finally {
      cli.child.kill('SIGTERM');
    }
    const { code, stderr } = await cli.exited;
    expect(stderr).toContain('SIGTERM: stopping');
    expect(code).toBe(0);
  });

  it.skipIf(noRedis)('with REDIS_URL, locks fetches across replicas in Redis', async () => {
    const cli = startCli(['serve', '--port', '0'], dir, { REDIS_URL: REDIS_URL! });
    try {
      const [, url] = await cli.waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/);
      expect(cli.stdout()).toContain('with Redis');
      const ready = await fetch(new URL('/health/ready', url!));
      expect(((await ready.json()) as { fetchLocks: { state: string } }).fetchLocks.state).toBe('up');
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.exited).code).toBe(0);
  });

  it('says it serves the demo when there is no config', async () => {
    const { dir: empty, cleanup: remove } = await tempCwd();
    const cli = startCli(['serve', '--port', '0'], empty);
    try {
      await cli.waitFor(/GraphiQL: http:\/\/127\.0\.0\.1:\d+\/graphql/);
      expect(cli.stdout()).toContain('serving the built-in demo');
      expect(cli.stdout()).toContain('4 tables (movies, people, vendors, orders)');
    } finally {
      cli.child.kill('SIGINT');
      expect((await cli.exited).code).toBe(0);
      await remove();
    }
  });
});
