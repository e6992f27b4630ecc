/**
 * One failure fails only its own entries (DESIGN §4): each failing entry is null with its own
 * error at its own path, and everything else of the response — sibling entries, aliases, other
 * root fields, other tables, cached rows — is served. `data` is never null because of one table.
 * The test source fails any batch holding ID 66666 (see helpers/server.ts).
 */
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  serverTempDir,
  sourceCalls,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

let server: TestServer;
let costly: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
  costly = await startTestServer({
    config: await testConfig(await serverTempDir()),
    limits: { upstreamCost: 50 },
  });
});
afterAll(async () => {
  await server.stop();
  await costly.stop();
});

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
const movie = (id: string) => ({ id, title: `Movie ${id}` });

interface Case {
  name: string;
  server: () => TestServer;
  /** Run first, so the rows it loads are cached. */
  before?: string;
  query: string;
  variables?: Record<string, unknown>;
  data: unknown;
  /** [path, code] of every error, in any order. */
  errors: Array<[Array<string | number>, string]>;
}

const cases: Case[] = [
  {
    name: 'a failed batch shared by two fields fails only the poisoned entry',
    server: () => server,
    query: '{ a: movies(ids: ["1", "66666"]) { id title } b: movies(ids: ["2"]) { id title } }',
    data: { a: [movie('1'), null], b: [movie('2')] },
    errors: [[['a', 1], 'UPSTREAM_FAILED']],
  },
  {
    name: 'sibling root fields of the same table and of another table are served',
    server: () => server,
    query:
      '{ movies(ids: ["66666", "11"]) { id title } movie(id: "12") { id title } people(ids: ["3"]) { name } }',
    data: { movies: [null, movie('11')], movie: movie('12'), people: [{ name: 'Person 3' }] },
    errors: [[['movies', 0], 'UPSTREAM_FAILED']],
  },
  {
    name: '200 good IDs in another alias are all served',
    server: () => server,
    query: 'query ($ids: [ID!]!) { bad: movies(ids: ["66666"]) { id } good: movies(ids: $ids) { id } }',
    variables: { ids: range(1000, 200) },
    data: { bad: [null], good: range(1000, 200).map((id) => ({ id })) },
    errors: [[['bad', 0], 'UPSTREAM_FAILED']],
  },
  {
    name: 'a cached sibling field is served',
    server: () => server,
    before: '{ movies(ids: ["20", "21", "22"]) { title } }',
    query: '{ cold: movies(ids: ["66666"]) { title } cached: movies(ids: ["20", "21", "22"]) { title } }',
    data: { cold: [null], cached: ['20', '21', '22'].map((id) => ({ title: `Movie ${id}` })) },
    errors: [[['cold', 0], 'UPSTREAM_FAILED']],
  },
  {
    name: "another table's failure leaves this table served",
    server: () => server,
    query: '{ people(ids: ["66666", "5"]) { name } movies(ids: ["30"]) { id title } }',
    data: { people: [null, { name: 'Person 5' }], movies: [movie('30')] },
    errors: [[['people', 0], 'UPSTREAM_FAILED']],
  },
  {
    name: 'one NUL byte in an ID is BAD_INPUT for that entry only',
    server: () => server,
    query: 'query ($ids: [ID!]!) { movies(ids: $ids) { id title } people(ids: ["6"]) { name } }',
    variables: { ids: ['40', 'a\u0000b', '41'] },
    data: { movies: [movie('40'), null, movie('41')], people: [{ name: 'Person 6' }] },
    errors: [[['movies', 1], 'BAD_INPUT']],
  },
  {
    name: 'rows of an unknown table or with a bad path fail their entries; sibling root fields are served',
    server: () => server,
    query:
      '{ a: rows(table: "nope", ids: ["1", "2"], columns: ["title"]) { id } b: rows(table: "movies", ids: ["1"], columns: ["details..x"]) { id } movies(ids: ["50"]) { id title } }',
    data: { a: [null, null], b: [null], movies: [movie('50')] },
    errors: [
      [['a', 0], 'TABLE_NOT_FOUND'],
      [['a', 1], 'TABLE_NOT_FOUND'],
      [['b', 0], 'BAD_INPUT'],
    ],
  },
  {
    name: 'LIMIT_EXCEEDED from the upstream-cost limit fails only the missing IDs',
    server: () => costly,
    before: '{ movies(ids: ["1"]) { title } }',
    query:
      'query ($ids: [ID!]!) { cold: movies(ids: $ids) { title } cached: movies(ids: ["1"]) { title } people(ids: ["1"]) { name } }',
    variables: { ids: range(5000, 60) },
    data: {
      cold: range(5000, 60).map(() => null),
      cached: [{ title: 'Movie 1' }],
      people: [{ name: 'Person 1' }],
    },
    errors: range(0, 60).map((i) => [['cold', Number(i)], 'LIMIT_EXCEEDED']),
  },
];

const shape = (result: ExecutionResult) =>
  (result.errors ?? [])
    .map((e): [unknown, unknown] => [e.path, e.extensions?.['code']])
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

describe('partial failures', () => {
  it.each(cases)('$name', async (c) => {
    const s = c.server();
    if (c.before !== undefined) expect((await s.requestText(c.before)).errors).toBeUndefined();
    const result = await s.requestText(c.query, c.variables);
    expect(result.data).toEqual(c.data);
    expect(shape(result)).toEqual(
      c.errors
        .map(([path, code]) => [path, code])
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );
  });

  it('a refused cold lookup names the limit and its value, and calls no upstream', async () => {
    const before = sourceCalls('movies').length;
    const result = await costly.requestText('query ($ids: [ID!]!) { movies(ids: $ids) { title } }', {
      ids: range(7000, 51),
    });
    expect(sourceCalls('movies').length).toBe(before);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'upstreamCost',
      value: 50,
      actual: 51,
    });
    expect(result.errors?.[0]?.message).toMatch(/warm/);
  });
});
