/**
 * GraphiQL as served: one self-contained page (no CDN), opening on a query over the configured
 * tables, public with `auth` (it carries no data). In a real browser: pages-browser.test.ts.
 */
import { get, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { defaultQuery } from '../../src/server/graphiql.js';
import { bearer, postGraphQL } from '../helpers/http-graphql.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

const OPERATOR = 'operator-token-0123456789abcdef';

let open: TestServer;
let guarded: TestServer;

beforeAll(async () => {
  open = await startTestServer({ config: await testConfig(await serverTempDir()) });
  const config = await testConfig(await serverTempDir());
  guarded = await startTestServer({
    config: { ...config, auth: { tokens: [{ token: OPERATOR, role: 'operator' }] } },
  });
});
afterAll(async () => {
  await open.stop();
  await guarded.stop();
});

const page = async (server: TestServer) => {
  const response = await fetch(server.url, { headers: { accept: 'text/html' } });
  return { status: response.status, html: await response.text() };
};

describe('the GraphiQL page', () => {
  it('carries its scripts, styles and editor workers itself: nothing from a CDN', async () => {
    const { status, html } = await page(open);
    expect(status).toBe(200);
    expect(html).not.toMatch(/unpkg\.com|jsdelivr|cdnjs|<script[^>]+src=|<link[^>]+href="http/);
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    expect(html).toContain('"defaultQuery":"# cachegate');
    // Rendered once: the second answer is the same page.
    expect((await page(open)).html).toBe(html);
  });

  it('is sent gzipped to a browser that accepts it (9 MB of inlined assets)', async () => {
    const raw = (encoding: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        get(open.url, { headers: { accept: 'text/html', 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const plain = await raw('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await raw('gzip, deflate, br');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toMatch(/^text\/html/);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
  });

  it('is served without a token when auth is on, with SSE subscriptions and a header to fill in', async () => {
    const { status, html } = await page(guarded);
    expect(status).toBe(200);
    expect(html).toContain('"subscriptionsProtocol":"SSE"');
    expect(html).toContain('Bearer PASTE-YOUR-TOKEN');
    expect(html).not.toContain('cacheStats {');
  });
});

describe('subscriptions as GraphiQL sends them with auth (SSE, the Authorization header)', () => {
  it('streams fetchProgress to a token in the header, and refuses one without', async () => {
    const warm = await postGraphQL(
      guarded.url,
      'mutation { warm(table: "people", ids: ["5", "6"]) { id } }',
      bearer(OPERATOR),
    );
    const jobId = (warm.body.data as { warm: { id: string } }).warm.id;
    const subscribe = (headers: Record<string, string>) =>
      fetch(guarded.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({
          query: 'subscription($id: ID!) { fetchProgress(jobId: $id) { jobId status } }',
          variables: { id: jobId },
        }),
      });
    expect((await subscribe({})).status).toBe(401);
    const response = await subscribe(bearer(OPERATOR));
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    // The stream ends with the job: its last event is the final state.
    const text = await response.text();
    expect(text).toContain(`"jobId":"${jobId}"`);
    expect(text).toMatch(/"status":"SUCCEEDED"[\s\S]*event: complete/);
  });
});

describe('defaultQuery', () => {
  it('reads the first tables, a relation, and field(path:) on a real JSON column', () => {
    const query = defaultQuery(demoConfig('/srv/app'));
    expect(query).toContain('movies(ids: ["1", "2", "3"])');
    expect(query).toContain('fromPath: field(path: "details")');
    expect(query).toContain('director {');
    expect(query).toContain('people(ids: ["1", "2", "3"])');
  });

  it('uses no field(path:) for a table without a JSON column', () => {
    const config = parseConfig(
      { tables: { studios: { source: { kind: 'module', path: 's.mjs' }, columns: { name: 'String' } } } },
      '/srv/app',
      {},
    );
    const query = defaultQuery(config);
    expect(query).toContain('studios(ids:');
    expect(query).not.toContain('field(path: "');
    expect(query).toContain('# field(path:) reads any column by its name.');
  });
});
