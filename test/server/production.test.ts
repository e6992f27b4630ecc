/**
 * Production mode (NODE_ENV=production): introspection, GraphiQL and "Did you mean" are off by
 * default and each can be switched back on; UPSTREAM_FAILED errors tell clients the table, the
 * IDs and a reason code, never the driver's text, which is logged once with the request id.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheGateConfig } from '../../src/config/types.js';
import { exposureOf } from '../../src/server/exposure.js';
import { codesOf, postGraphQL } from '../helpers/http-graphql.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

const PRODUCTION = { NODE_ENV: 'production' };
const INTROSPECTION = '{ __schema { queryType { name } } }';
const TYPO = '{ movie2(id: "1") { id } }';

describe('exposure defaults', () => {
  it.each([
    { env: {}, config: {}, expected: { graphiql: true, introspection: true, suggestions: true } },
    { env: PRODUCTION, config: {}, expected: { graphiql: false, introspection: false, suggestions: false } },
    {
      env: PRODUCTION,
      config: { introspection: true },
      expected: { graphiql: false, introspection: true, suggestions: false },
    },
    {
      env: {},
      config: { graphiql: false },
      expected: { graphiql: false, introspection: true, suggestions: true },
    },
  ])('NODE_ENV=$env.NODE_ENV with $config → $expected', ({ env, config, expected }) => {
    expect(exposureOf(config, env)).toEqual(expected);
  });
});

describe('a production server', () => {
  let prod: TestServer;
  let dev: TestServer;

  beforeAll(async () => {
    prod = await startTestServer({ config: await testConfig(await serverTempDir()), env: PRODUCTION });
    dev = await startTestServer({ config: await testConfig(await serverTempDir()), env: {} });
  });
  afterAll(async () => {
    await prod.stop();
    await dev.stop();
  });

  it('refuses introspection but answers __typename', async () => {
    const refused = await postGraphQL(prod.url, INTROSPECTION);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.message).toMatch(/introspection has been disabled/);
    expect((await postGraphQL(prod.url, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
    expect((await postGraphQL(dev.url, INTROSPECTION)).body).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
  });

  it('serves no GraphiQL page', async () => {
    const page = async (server: TestServer) =>
      (await fetch(server.url, { headers: { accept: 'text/html' } })).headers.get('content-type') ?? '';
    expect(await page(dev)).toMatch(/text\/html/);
    expect(await page(prod)).not.toMatch(/text\/html/);
  });

  it('drops "Did you mean" suggestions from validation errors', async () => {
    const devMessage = (await postGraphQL(dev.url, TYPO)).body.errors?.[0]?.message;
    expect(devMessage).toMatch(/Did you mean "movie"/);
    const prodMessage = (await postGraphQL(prod.url, TYPO)).body.errors?.[0]?.message;
    expect(prodMessage).toBe('Cannot query field "movie2" on type "Query".');
  });
});

describe('UPSTREAM_FAILED as clients see it', () => {
  // Driver text as PostgreSQL, PGlite and HTTP clients write it: host, user, database, paths.
  const LEAK =
    /db\.internal|10\.0\.0\.7|5432|admin|secretdb|\/var\/lib|28P01|SQLSTATE|password authentication/;
  let server: TestServer;

  beforeAll(async () => {
    const dir = await serverTempDir();
    await writeFile(
      path.join(dir, 'failing.mjs'),
      `export async function fetch() {
        throw Object.assign(
          new Error('password authentication failed for user "admin" on db.internal (10.0.0.7:5432), database "secretdb", socket /var/lib/postgresql/.s.PGSQL.5432'),
          { code: '28P01' },
        );
      }`,
    );
    const config = await testConfig(dir);
    const failing: CacheGateConfig = {
      ...config,
      tables: {
        ...config.tables,
        movies: { ...config.tables['movies']!, source: { kind: 'module', path: 'failing.mjs' } },
      },
    };
    server = await startTestServer({ config: failing });
  });
  afterAll(() => server.stop());

  it('carries the table, a reason and the request id, and logs the cause once with that id', async () => {
    const { body } = await postGraphQL(server.url, '{ movies(ids: ["1", "2", "3"]) { id title } }', {
      'x-request-id': 'req-upstream-1',
    });
    const text = JSON.stringify(body);
    expect(text).not.toMatch(LEAK);
    const upstream = (body.errors ?? []).filter((e) => e.extensions?.['code'] === 'UPSTREAM_FAILED');
    expect(upstream.length).toBeGreaterThan(0);
    for (const e of upstream) {
      expect(e.message).toMatch(
        /^The upstream source of table "movies" failed \(QUERY_FAILED\).*request id req-upstream-1/,
      );
      expect(e.extensions).toMatchObject({
        table: 'movies',
        reason: 'QUERY_FAILED',
        requestId: 'req-upstream-1',
      });
    }
    const logged = server.logs.filter((l) => l.msg === 'upstream failed' && l.reqId === 'req-upstream-1');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      table: 'movies',
      err: {
        message: expect.stringMatching(/password authentication failed for user "admin" on db\.internal/),
      },
    });
  });
});

describe('UPSTREAM_FAILED from a real PostgreSQL', () => {
  let server: TestServer;
  // The machine's PostgreSQL (DESIGN's test setup); only its address matters, the database is missing.
  const url = new URL(process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test');

  beforeAll(async () => {
    const config = await testConfig(await serverTempDir());
    const missingDb = new URL(url);
    missingDb.pathname = '/cachegate_no_such_database';
    const table = config.tables['people']!;
    server = await startTestServer({
      config: {
        ...config,
        tables: {
          ...config.tables,
          people: {
            ...table,
            source: { kind: 'postgres', url: missingDb.href, table: 'people', idColumn: 'id' },
          },
        },
      },
    });
  });
  afterAll(() => server.stop());

  it('names no host, user, database or SQLSTATE', async () => {
    const { body } = await postGraphQL(server.url, '{ people(ids: ["1"]) { name } }');
    expect(codesOf(body)).toEqual([{ code: 'UPSTREAM_FAILED', path: ['people', 0] }]);
    const text = JSON.stringify(body);
    for (const secret of [
      url.hostname,
      url.port,
      url.username,
      'cachegate_no_such_database',
      '3D000',
      'SQLSTATE',
    ]) {
      if (secret !== '') expect(text).not.toContain(secret);
    }
    expect(body.errors?.[0]?.extensions).toMatchObject({ table: 'people', reason: 'QUERY_FAILED' });
    const logged = server.logs.find((l) => l.msg === 'upstream failed');
    expect(JSON.stringify(logged)).toContain('cachegate_no_such_database');
  });
});
