/**
 * Browser attacks, with real requests: CORS only for listed origins and never with credentials,
 * form / multipart / text-plain POSTs refused (CSRF), no mutations over GET, and WebSocket
 * upgrades from unlisted origins refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FetchProgressDocument } from '../gql/graphql.js';
import { postGraphQL } from '../helpers/http-graphql.js';
import {
  resetSourceCalls,
  serverTempDir,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';
import { createWsClient } from '../helpers/ws-client.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

let server: TestServer;
let closed: TestServer;

beforeAll(async () => {
  const config = await testConfig(await serverTempDir());
  server = await startTestServer({ config: { ...config, cors: { origins: [APP] } } });
  closed = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(async () => {
  await server.stop();
  await closed.stop();
});

describe('CORS', () => {
  it('allows a listed origin, without credentials', async () => {
    const { headers } = await postGraphQL(server.url, '{ __typename }', { origin: APP });
    expect(headers.get('access-control-allow-origin')).toBe(APP);
    expect(headers.get('access-control-allow-credentials')).toBeNull();
    expect(headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it.each([
    { case: 'an unlisted origin', get: () => server, origin: EVIL },
    { case: 'any origin when cors is not configured', get: () => closed, origin: APP },
  ])('sends no CORS headers to $case', async ({ get, origin }) => {
    const { headers } = await postGraphQL(get().url, '{ __typename }', { origin });
    expect(headers.get('access-control-allow-origin')).toBeNull();
    expect(headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers a preflight with the allowed methods and headers only for a listed origin', async () => {
    const preflight = (origin: string) =>
      fetch(server.url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const ok = await preflight(APP);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET, POST');
    const refused = await preflight(EVIL);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-headers')).toBeNull();
  });
});

describe('CSRF', () => {
  const invalidate = 'mutation { invalidate(table: "movies") }';

  it.each([
    {
      case: 'form-encoded',
      type: 'application/x-www-form-urlencoded',
      body: () => new URLSearchParams({ query: invalidate }).toString(),
    },
    {
      case: 'multipart',
      type: undefined,
      body: () => {
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: invalidate }));
        return form;
      },
    },
    { case: 'text/plain', type: 'text/plain', body: () => JSON.stringify({ query: invalidate }) },
    { case: 'typeless', type: '', body: () => JSON.stringify({ query: invalidate }) },
  ])('refuses a $case POST with 415 and runs nothing', async ({ type, body }) => {
    await postGraphQL(server.url, '{ movies(ids: ["11"]) { title } }');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { origin: EVIL, ...(type === undefined ? {} : { 'content-type': type }) },
      body: body(),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({
      errors: [
        {
          message: expect.stringMatching(/must be application\/json.*cross-site request forgery/),
          extensions: { code: 'BAD_INPUT' },
        },
      ],
    });
    // The cached row is still there: the query is served without going upstream.
    resetSourceCalls();
    await postGraphQL(server.url, '{ movies(ids: ["11"]) { title } }');
    expect(sourceCalls()).toEqual([]);
  });

  it('refuses mutations over GET', async () => {
    const url = `${server.url}?query=${encodeURIComponent('mutation { invalidate(table: "movies") }')}`;
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(405);
  });
});

describe('WebSocket Origin', () => {
  /** The HTTP status of the upgrade: 101 when accepted. */
  function upgrade(url: string, origin: string | undefined): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, 'graphql-transport-ws', origin === undefined ? {} : { origin });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  it.each([
    { case: 'no Origin (a non-browser client)', origin: () => undefined, status: 101 },
    { case: 'a listed origin', origin: () => APP, status: 101 },
    { case: "the server's own origin (GraphiQL)", origin: () => server.origin, status: 101 },
    { case: 'an unlisted origin', origin: () => EVIL, status: 403 },
    { case: 'a look-alike of a listed origin', origin: () => `${APP}.evil.net`, status: 403 },
  ])('answers $status to an upgrade from $case', async ({ origin, status }) => {
    expect(await upgrade(server.wsUrl, origin())).toBe(status);
  });

  it('runs no operation for a page of an unlisted origin', async () => {
    const ws = createWsClient(server.wsUrl, { origin: EVIL });
    try {
      await expect(ws.collect(FetchProgressDocument, { jobId: 'x' }, 5_000)).rejects.toBeDefined();
    } finally {
      await ws.close();
    }
  });
});
