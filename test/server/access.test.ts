/**
 * DESIGN §4 "Access" with static bearer tokens, over real HTTP and real graphql-ws: the role ×
 * operation matrix, 401 without (or with a bad) token, FORBIDDEN at the field's path with the
 * rest served, `GET /metrics` for operators, 4403 on a bad connection_init.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchProgressDocument } from '../gql/graphql.js';
import { bearer, codesOf, postGraphQL } from '../helpers/http-graphql.js';
import {
  resetSourceCalls,
  serverTempDir,
  setSourceDelay,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';
import { createWsClient, untilFirst } from '../helpers/ws-client.js';

const READER = 'reader-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
const TOKENS = { reader: READER, operator: OPERATOR } as const;

let server: TestServer;

beforeAll(async () => {
  const config = await testConfig(await serverTempDir());
  server = await startTestServer({
    config: {
      ...config,
      auth: {
        tokens: [
          { token: READER, role: 'reader' },
          { token: OPERATOR, role: 'operator' },
        ],
      },
    },
  });
});
afterAll(() => server.stop());

type Expect = 'ok' | 'FORBIDDEN';
const MATRIX: { operation: string; field: string; query: string; reader: Expect; operator: Expect }[] = [
  {
    operation: 'typed list query',
    field: 'movies',
    query: '{ movies(ids: ["1"]) { id title } }',
    reader: 'ok',
    operator: 'ok',
  },
  {
    operation: 'typed single query',
    field: 'movie',
    query: '{ movie(id: "2") { id } }',
    reader: 'ok',
    operator: 'ok',
  },
  {
    operation: 'rows',
    field: 'rows',
    query: '{ rows(table: "movies", ids: ["3"], columns: ["title"]) { id values } }',
    reader: 'ok',
    operator: 'ok',
  },
  {
    operation: 'job(id)',
    field: 'job',
    query: '{ job(id: "no-such-job") { id } }',
    reader: 'ok',
    operator: 'ok',
  },
  {
    operation: 'cacheStats',
    field: 'cacheStats',
    query: '{ cacheStats { table } }',
    reader: 'FORBIDDEN',
    operator: 'ok',
  },
  {
    operation: 'fetchJobs (every job of every client)',
    field: 'fetchJobs',
    query: '{ fetchJobs { id } }',
    reader: 'FORBIDDEN',
    operator: 'ok',
  },
  {
    operation: 'warm',
    field: 'warm',
    query: 'mutation { warm(table: "people", ids: ["$ID"]) { id } }',
    reader: 'FORBIDDEN',
    operator: 'ok',
  },
  {
    operation: 'invalidate',
    field: 'invalidate',
    query: 'mutation { invalidate(table: "people", ids: ["$ID"]) }',
    reader: 'FORBIDDEN',
    operator: 'ok',
  },
];

describe('role × operation over HTTP', () => {
  const cases = MATRIX.flatMap((row) =>
    (['reader', 'operator'] as const).map((role) => ({ ...row, role, expected: row[role] })),
  );
  it.each(cases)('$role: $operation → $expected', async ({ role, query, field, expected }) => {
    // IDs of their own per role: an operator's warm keeps fetching after its test has ended.
    const id = role === 'reader' ? '901' : '902';
    const { status, body } = await postGraphQL(server.url, query.replace('$ID', id), bearer(TOKENS[role]));
    expect(status).toBe(200);
    if (expected === 'ok') {
      expect(body.errors).toBeUndefined();
      expect(body.data).toHaveProperty(field);
    } else {
      expect(codesOf(body)).toEqual([{ code: 'FORBIDDEN', path: [field] }]);
      expect(body.errors?.[0]?.message).toMatch(/needs the operator role.*reader role.*operator token/);
      // Refused before the resolver: nothing reached the upstream.
      expect(sourceCalls().flatMap((c) => c.ids)).not.toContain(id);
    }
  });

  it('serves the other fields of a request when one is forbidden', async () => {
    const { status, body } = await postGraphQL(
      server.url,
      '{ movies(ids: ["1"]) { id } cacheStats { table } rows(table: "movies", ids: ["1"], columns: ["year"]) { id } }',
      bearer(READER),
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({ movies: [{ id: '1' }], cacheStats: null, rows: [{ id: '1' }] });
    expect(codesOf(body)).toEqual([{ code: 'FORBIDDEN', path: ['cacheStats'] }]);
  });
});

describe('authentication over HTTP', () => {
  it.each([
    { case: 'no Authorization header', headers: {}, message: /Missing credentials/ },
    { case: 'an unknown token', headers: bearer('not-a-configured-token-at-all'), message: /not accepted/ },
    {
      case: 'a token differing in one character',
      headers: bearer(`${READER.slice(0, -1)}X`),
      message: /not accepted/,
    },
    {
      case: 'a non-Bearer scheme',
      headers: { authorization: `Basic ${READER}` },
      message: /must be "Bearer <token>"/,
    },
  ])('answers 401 UNAUTHENTICATED to $case, before running anything', async ({ headers, message }) => {
    resetSourceCalls();
    const {
      status,
      headers: answer,
      body,
    } = await postGraphQL(server.url, 'mutation { invalidate(table: "movies") }', headers);
    expect(status).toBe(401);
    expect(answer.get('www-authenticate')).toMatch(/^Bearer/);
    expect(body.data).toBeUndefined();
    expect(codesOf(body)).toEqual([{ code: 'UNAUTHENTICATED', path: undefined }]);
    expect(body.errors?.[0]?.message).toMatch(message);
    expect(server.logs).toContainEqual(expect.objectContaining({ msg: 'unauthenticated' }));
  });

  it('keeps /health open and /metrics for operators', async () => {
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
    expect((await fetch(`${server.origin}/metrics`)).status).toBe(401);
    const asReader = await fetch(`${server.origin}/metrics`, { headers: bearer(READER) });
    expect(asReader.status).toBe(403);
    expect(await asReader.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const asOperator = await fetch(`${server.origin}/metrics`, { headers: bearer(OPERATOR) });
    expect(asOperator.status).toBe(200);
    expect(await asOperator.text()).toMatch(/cachegate_http_requests_total/);
  });
});

describe('graphql-ws', () => {
  it.each([
    { case: 'no payload', params: undefined, reason: 'Forbidden: missing credentials' },
    {
      case: 'a bad token',
      params: { authorization: 'Bearer wrong-token-0123456789' },
      reason: 'Forbidden: token not accepted',
    },
  ])('closes the socket with 4403 on connection_init with $case', async ({ params, reason }) => {
    const ws = createWsClient(server.wsUrl, params === undefined ? {} : { connectionParams: params });
    try {
      await expect(ws.collect(FetchProgressDocument, { jobId: 'x' }, 5_000)).rejects.toMatchObject({
        code: 4403,
        reason,
      });
    } finally {
      await ws.close();
    }
  });

  it('refuses fetchProgress(table) to a reader with FORBIDDEN, and serves it to an operator', async () => {
    const reader = createWsClient(server.wsUrl, { connectionParams: { authorization: `Bearer ${READER}` } });
    const operator = createWsClient(server.wsUrl, {
      connectionParams: { authorization: `Bearer ${OPERATOR}` },
    });
    try {
      const refused = await reader.collect(FetchProgressDocument, { table: 'movies' }, 5_000);
      expect(refused).toHaveLength(1);
      expect(codesOf(refused[0]!)).toEqual([{ code: 'FORBIDDEN', path: ['fetchProgress'] }]);
      const all = await reader.collect(FetchProgressDocument, {}, 5_000);
      expect(codesOf(all[0]!)).toEqual([{ code: 'FORBIDDEN', path: ['fetchProgress'] }]);

      const events = operator.subscribe(FetchProgressDocument, { table: 'people' });
      const first = events.next();
      const seen = await untilFirst(first, (n) =>
        postGraphQL(server.url, `{ people(ids: ["${500 + n}"]) { id } }`, bearer(READER)),
      );
      expect(seen.value?.data?.fetchProgress.table).toBe('people');
      await events.return?.();
    } finally {
      await Promise.all([reader.close(), operator.close()]);
    }
  });

  it("lets a reader follow its job by id and shows it no other job's events", async () => {
    setSourceDelay(150);
    const reader = createWsClient(server.wsUrl, { connectionParams: { authorization: `Bearer ${READER}` } });
    try {
      const warm = async (ids: string[]) => {
        const { body } = await postGraphQL(
          server.url,
          'mutation ($ids: [ID!]!) { warm(table: "movies", ids: $ids) { id } }',
          bearer(OPERATOR),
          { ids },
        );
        return (body.data as { warm: { id: string } }).warm.id;
      };
      const mine = await warm(['3001', '3002', '3003']);
      const other = await warm(['4001', '4002', '4003']);
      const events = await reader.collect(FetchProgressDocument, { jobId: mine }, 10_000);
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(e.errors).toBeUndefined();
        expect(e.data?.fetchProgress.jobId).toBe(mine);
      }
      expect(events.at(-1)?.data?.fetchProgress.status).toBe('SUCCEEDED');
      expect(other).not.toBe(mine);
    } finally {
      setSourceDelay(0);
      await reader.close();
    }
  });
});
