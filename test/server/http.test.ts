/** The HTTP side: GraphiQL, /health, /metrics, request ids, masking, graceful stop. */
import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/engine/cache.js';
import type { Cache } from '../../src/engine/types.js';
import { FetchProgressDocument, MoviesDocument } from '../gql/graphql.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';
import { createWsClient } from '../helpers/ws-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(() => server.stop());

describe('HTTP endpoints', () => {
  it('serves GraphiQL to a browser, with a default query over the configured tables', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).toContain('movies(ids:');
    expect(html).toContain('cacheStats');
  });

  it('answers /health with 200 when the cache folder is usable', async () => {
    const response = await fetch(`${server.origin}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /health with 503 when the cache folder is unusable', async () => {
    const other = await startTestServer({ config: await testConfig(await serverTempDir()) });
    try {
      const cacheDir = other.app.cache.config.cacheDir;
      await rm(cacheDir, { recursive: true, force: true });
      await writeFile(cacheDir, 'not a folder');
      const response = await fetch(`${other.origin}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'unavailable',
        reason: 'cache folder not readable and writable (EEXIST)',
      });
    } finally {
      await other.stop();
    }
  });

  it('exposes Prometheus metrics: requests, cache hits and misses, upstream calls, latency', async () => {
    await server.request(MoviesDocument, { ids: ['1', '2'] });
    await server.request(MoviesDocument, { ids: ['1', '2'] });
    const response = await fetch(`${server.origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/cachegate_http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/cachegate_cache_hits_total\{table="movies"\} [1-9]/);
    expect(text).toMatch(/cachegate_cache_misses_total\{table="movies"\} [1-9]/);
    expect(text).toMatch(/cachegate_upstream_calls_total\{table="movies"\} [1-9]/);
    expect(text).toMatch(/cachegate_lookup_duration_seconds_count\{table="movies"\} [1-9]/);
    expect(text).toMatch(
      /cachegate_upstream_batch_duration_seconds_count\{table="movies",outcome="ok"\} [1-9]/,
    );
  });

  it('tags each request with an id: echoed in x-request-id and in the log line', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-42' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(server.logs).toContainEqual(
      expect.objectContaining({ reqId: 'req-42', msg: 'request', status: 200 }),
    );
    const fresh = await fetch(`${server.origin}/health`);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('unexpected errors', () => {
  let masked: TestServer;

  beforeAll(async () => {
    const config = await testConfig(await serverTempDir());
    const real = createCache(config);
    // An engine bug, as a resolver would meet it: not a CacheGateError.
    const cache: Cache = Object.create(real, {
      lookup: {
        value: (table: string, ids: readonly string[], columns: readonly string[]) =>
          ids.includes('boom')
            ? Promise.reject(new TypeError('secret: SELECT * FROM movies WHERE password = 1'))
            : real.lookup(table, ids, columns),
      },
    });
    masked = await startTestServer({ config, cache });
  });
  afterAll(() => masked.stop());

  it('are masked as "Unexpected error." with the request id, and logged with it', async () => {
    const response = await fetch(masked.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-boom' },
      body: JSON.stringify({ query: '{ movies(ids: ["boom"]) { id title } }' }),
    });
    const text = await response.text();
    expect(text).not.toMatch(/secret|SELECT|TypeError|stack/);
    expect(JSON.parse(text)).toEqual({
      data: { movies: [null] },
      errors: [
        expect.objectContaining({
          message: 'Unexpected error.',
          path: ['movies', 0],
          extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-boom' },
        }),
      ],
    });
    const logged = masked.logs.find((l) => l.msg === 'unexpected error');
    expect(logged).toMatchObject({ reqId: 'req-boom', err: { message: expect.stringMatching(/secret/) } });
  });
});

describe('stop', () => {
  it('ends subscriptions, closes the WebSocket and HTTP servers', async () => {
    const other = await startTestServer({ config: await testConfig(await serverTempDir()) });
    await other.request(MoviesDocument, { ids: ['1'] });
    const ws = createWsClient(other.wsUrl);
    const subscription = ws.subscribe(FetchProgressDocument, { table: 'movies' });
    const pending = subscription.next().then(
      (r) => r,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.stop();
    // The client sees its socket close: the subscription settles instead of hanging.
    await expect(pending).resolves.toBeDefined();
    await ws.close();
    await expect(fetch(other.url, { method: 'POST' })).rejects.toThrow();
  });
});
