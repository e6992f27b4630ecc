/**
 * DNS rebinding (auth/hosts.ts): a server without auth answers only IP addresses, localhost and
 * the names in `allowedHosts`, over HTTP and on the WebSocket upgrade; with auth, any Host.
 * Requests go to 127.0.0.1 with the Host header a rebinding page's browser would send.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHostPolicy, hostName } from '../../src/server/auth/hosts.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

const QUERY = JSON.stringify({ query: '{ __typename }' });

/** POSTs a query to the server's address with the given Host header. */
function post(server: TestServer, host: string, auth?: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          host,
          'content-type': 'application/json',
          ...(auth === undefined ? {} : { authorization: `Bearer ${auth}` }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(QUERY);
  });
}

/** Opens a WebSocket to the server's address as a page of `origin` would: the upgrade's status. */
function upgrade(server: TestServer, host: string, origin: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws', { headers: { host, origin } });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('without auth', () => {
  let server: TestServer;
  let port: string;
  beforeAll(async () => {
    const config = await testConfig(await serverTempDir());
    server = await startTestServer({ config: { ...config, allowedHosts: ['cache.internal'] } });
    port = new URL(server.url).port;
  });
  afterAll(() => server.stop());

  it('refuses a rebound name with 403 FORBIDDEN and a message that says what to do', async () => {
    const res = await post(server, `evil.example:${port}`);
    expect(res.status).toBe(403);
    const body = JSON.parse(res.body) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]?.extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0]?.message).toMatch(/"evil\.example" is not allowed.*allowedHosts/);
  });

  it.each([
    ['127.0.0.1', true],
    ['localhost', true],
    ['app.localhost', true],
    ['[::1]', true],
    ['cache.internal', true],
    ['CACHE.INTERNAL', true],
    ['cache.internal.evil.example', false],
    ['localhost.evil.example', false],
  ])('Host %s → allowed: %s', async (name, allowed) => {
    const res = await post(server, `${name}:${port}`);
    expect(res.status).toBe(allowed ? 200 : 403);
  });

  it('refuses the WebSocket upgrade of a rebound page, whose Origin matches its Host', async () => {
    expect(await upgrade(server, `evil.example:${port}`, `http://evil.example:${port}`)).toBe(403);
    expect(await upgrade(server, `localhost:${port}`, `http://localhost:${port}`)).toBe(101);
  });
});

describe('with auth', () => {
  const TOKEN = 'operator-token-0123456789abcdef';
  let server: TestServer;
  beforeAll(async () => {
    const config = await testConfig(await serverTempDir());
    server = await startTestServer({
      config: { ...config, auth: { tokens: [{ token: TOKEN, role: 'operator' }] } },
    });
  });
  afterAll(() => server.stop());

  it('answers any Host: a rebinding page has no token', async () => {
    const port = new URL(server.url).port;
    expect((await post(server, `evil.example:${port}`)).status).toBe(401);
    expect((await post(server, `evil.example:${port}`, TOKEN)).status).toBe(200);
  });
});

describe('the name of a Host header', () => {
  it('drops the port, the brackets of an IPv6 address and the dot of a fully qualified name', () => {
    const cases: Array<[string, string]> = [
      ['localhost', 'localhost'],
      ['localhost.', 'localhost'],
      ['localhost.:4000', 'localhost'],
      ['Cache.Internal.:80', 'cache.internal'],
      ['127.0.0.1:4000', '127.0.0.1'],
      ['[::1]:4000', '::1'],
      ['[::1]', '::1'],
      ['::1', '::1'],
      ['fe80::1', 'fe80::1'],
    ];
    for (const [header, name] of cases) expect(hostName(header), header).toBe(name);
  });

  it('allows a fully qualified localhost with a port, and refuses another name with one', () => {
    const policy = createHostPolicy({ hasAuth: false });
    expect(policy.refusal('localhost.:4000')).toBeUndefined();
    expect(policy.refusal('evil.example.:4000')).toMatch(/not allowed/);
  });
});
