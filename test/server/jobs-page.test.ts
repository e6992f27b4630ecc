/**
 * The jobs page over plain HTTP (public page and script, nothing else opened by them) and the
 * `fetchJobs` query that feeds its list. The page in a browser: pages-browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, codesOf, postGraphQL } from '../helpers/http-graphql.js';
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

describe('GET /jobs', () => {
  it.each([
    { case: 'without auth', server: () => open },
    { case: 'with auth, without a token', server: () => guarded },
  ])('serves the page and its script $case', async ({ server }) => {
    const page = await fetch(`${server().origin}/jobs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script src="/jobs/app.js"></script>');
    // Only its own script: nothing is loaded from elsewhere.
    expect(html).not.toMatch(/https?:\/\//);

    const script = await fetch(`${server().origin}/jobs/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await script.text();
    expect(js).toContain('fetchProgress');
    expect(js).toContain('graphql-transport-ws');
  });

  it('opens nothing else without a token: other methods and paths still need one', async () => {
    expect((await fetch(`${guarded.origin}/jobs`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${guarded.origin}/jobs/other.js`)).status).toBe(401);
  });
});

describe('Query.fetchJobs', () => {
  it('lists running and finished jobs with their counts, newest first', async () => {
    const warm = (ids: string[]) =>
      postGraphQL(
        open.url,
        'mutation($ids: [ID!]!) { warm(table: "people", ids: $ids) { id } }',
        {},
        { ids },
      );
    const first = (await warm(['1', '2'])).body.data as { warm: { id: string } };
    // Finished jobs are listed by when they finished: let the first end before the second starts.
    await expect
      .poll(async () => {
        const { body } = await postGraphQL(open.url, `{ job(id: "${first.warm.id}") { status } }`);
        return (body.data as { job: { status: string } }).job.status;
      })
      .toBe('SUCCEEDED');
    const second = (await warm(['3', '999999'])).body.data as { warm: { id: string } };
    const query =
      '{ jobs: fetchJobs(table: "people") { id status totalIds rowsFetched notFoundCount failedCount } }';
    await expect
      .poll(async () => {
        const { body } = await postGraphQL(open.url, query);
        return body.data;
      })
      .toEqual({
        jobs: [
          {
            id: second.warm.id,
            status: 'SUCCEEDED',
            totalIds: 2,
            rowsFetched: 1,
            notFoundCount: 1,
            failedCount: 0,
          },
          {
            id: first.warm.id,
            status: 'SUCCEEDED',
            totalIds: 2,
            rowsFetched: 2,
            notFoundCount: 0,
            failedCount: 0,
          },
        ],
      });
    const { body } = await postGraphQL(open.url, '{ jobs: fetchJobs(limit: 1) { id } }');
    expect(body.data).toEqual({ jobs: [{ id: second.warm.id }] });
  });

  it('names an unknown table', async () => {
    const { body } = await postGraphQL(open.url, '{ fetchJobs(table: "nope") { id } }');
    expect(codesOf(body)).toEqual([{ code: 'TABLE_NOT_FOUND', path: ['fetchJobs'] }]);
  });

  it('is the operator’s with auth', async () => {
    const { body } = await postGraphQL(guarded.url, '{ fetchJobs { id } }', bearer(OPERATOR));
    expect(body.errors).toBeUndefined();
  });
});
