/**
 * The circuit breaker seen through the engine: the fetch loop's retries stop at an open circuit,
 * and a dead upstream is called `failures` times however many requests arrive.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCache } from '../../src/engine/cache.js';
import type { Cache } from '../../src/engine/types.js';
import { CircuitOpenError, UpstreamFailedError } from '../../src/errors.js';
import { startHttpServer, type TestServer } from '../helpers/http-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const opened: Array<{ cache: Cache; server: TestServer }> = [];
afterEach(async () => {
  for (const { cache, server } of opened.splice(0)) {
    await cache.close();
    await server.close();
  }
});

async function deadHttpUpstream(breaker: Record<string, unknown> = {}) {
  const server = await startHttpServer((_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const dir = await tempDir();
  const cache = createCache({
    cacheDir: path.join(dir, 'cache'),
    tables: {
      movies: {
        source: { kind: 'http', url: `${server.url}/movies?ids={ids}`, breaker },
        columns: { title: 'String' },
        batch: { retries: 2, backoff: 1 },
      },
    },
  });
  opened.push({ cache, server });
  return { cache, server };
}

describe('upstream faults through the engine', () => {
  it('calls a dead upstream `failures` times, then fails fast without retrying', async () => {
    const { cache, server } = await deadHttpUpstream({ failures: 5, halfOpenAfter: '1m' });
    const errors: unknown[] = [];
    for (let i = 1; i <= 10; i++) {
      errors.push(await cache.getData('movies', [String(i)], ['title']).catch((e: unknown) => e));
    }
    expect(server.requests).toHaveLength(5);
    // Request 1: 3 attempts; request 2: 2 attempts, then its third meets the open circuit; the
    // other 8 requests: 1 attempt each. A retried open circuit would have made it 8 × 3.
    expect((await cache.stats('movies'))[0]?.fetches).toBe(3 + 3 + 8);
    expect(errors[0]).toBeInstanceOf(UpstreamFailedError);
    expect(errors.slice(1).every((e) => e instanceof CircuitOpenError)).toBe(true);
    expect((errors[9] as CircuitOpenError).details).toMatchObject({
      reason: 'CIRCUIT_OPEN',
      table: 'movies',
    });
  });

  it('reports each source, its state and its breaker in health()', async () => {
    const { cache } = await deadHttpUpstream({ failures: 2, halfOpenAfter: '1m' });
    expect(await cache.health(1000)).toMatchObject([
      { table: 'movies', kind: 'http', state: 'down', breaker: 'closed', reason: 'HTTP_503' },
    ]);
    await cache.getData('movies', ['1'], ['title']).catch(() => undefined);
    const [movies] = await cache.health(1000);
    expect(movies).toMatchObject({ state: 'down', breaker: 'open', reason: 'CIRCUIT_OPEN' });
    expect(Date.parse(movies!.retryAt!)).toBeGreaterThan(Date.now());
  });
});
