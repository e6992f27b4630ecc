/**
 * Hostile `rows` and table-query input as properties (fast-check) against a real server: any
 * table, IDs (control characters, unpaired surrogates, huge digit runs, the poisoned 66666) and
 * columns (dot paths, prototype names, garbage) get a coded error or a correct answer — never
 * INTERNAL_SERVER_ERROR — and the server stays healthy.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(() => server.stop());

const CODES = new Set([
  'DATA_NOT_FOUND',
  'COLUMN_NOT_FOUND',
  'JSON_PARSE_ERROR',
  'TABLE_NOT_FOUND',
  'BAD_INPUT',
  'LIMIT_EXCEEDED',
  'UPSTREAM_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
]);

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const id = fc.oneof(
  fc.integer({ min: 1, max: 120_000 }).map(String),
  fc.constantFrom('66666', '77777', '0', '-1', '1e3', ' 1', '1\n', '9'.repeat(40), '__proto__'),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.tuple(fc.string({ maxLength: 3 }), loneSurrogate).map(([a, b]) => a + b),
  fc.tuple(fc.nat(50), fc.integer({ min: 0, max: 0x9f })).map(([n, c]) => `${n}${String.fromCharCode(c)}`),
);
const column = fc.oneof(
  fc.constantFrom('title', 'year', 'rating', 'director_id', 'details', 'name', 'born', 'profile', 'id'),
  fc.constantFrom(
    'details.cast.0.name',
    'details.meta.score',
    'profile.awards',
    'title.x',
    'details.__proto__',
  ),
  fc.constantFrom('nope', 'details..x', '.x', 'constructor', '__proto__', 'a\u0000b'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const table = fc.oneof(fc.constantFrom('movies', 'people'), fc.string({ maxLength: 8 }));

/** The source's rows (helpers/server.ts), for the plain columns a property can check. */
function expected(tableName: string, key: string): Record<string, unknown> | undefined {
  if (!/^[1-9][0-9]*$/.test(key)) return undefined;
  const n = Number(key);
  if (tableName === 'movies' && n <= 100_000)
    return {
      title: `Movie ${n}`,
      year: 1950 + (n % 70),
      rating: (n % 100) / 10,
      director_id: String(1 + (n % 50)),
    };
  if (tableName === 'people' && n <= 1000) return { name: `Person ${n}`, born: 1900 + (n % 100) };
  return undefined;
}

interface Answer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  };
}

async function post(query: string, variables: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function expectCoded(answer: Answer): void {
  expect(answer.status).toBe(200);
  for (const error of answer.body.errors ?? []) {
    expect(CODES.has(String(error.extensions?.['code'])), JSON.stringify(error)).toBe(true);
  }
}

const errorAt = (answer: Answer, path: Array<string | number>) =>
  (answer.body.errors ?? []).some((e) => JSON.stringify(e.path) === JSON.stringify(path));

describe('hostile input (properties)', () => {
  it('rows(table, ids, columns): a coded error or the right values, entry by entry', async () => {
    await fc.assert(
      fc.asyncProperty(
        table,
        fc.array(id, { maxLength: 12 }),
        fc.array(column, { maxLength: 5 }),
        async (t, ids, columns) => {
          const answer = await post(
            'query ($t: String!, $ids: [ID!]!, $c: [String!]!) { rows(table: $t, ids: $ids, columns: $c) { id values } }',
            { t, ids, c: columns },
          );
          expectCoded(answer);
          const rows = answer.body.data?.['rows'] as
            | Array<{ id: string; values: Record<string, unknown> } | null>
            | undefined;
          if (rows === undefined) {
            // Refused whole (unknown table, a column path that cannot be one): said at the field.
            expect(errorAt(answer, ['rows'])).toBe(true);
            return;
          }
          expect(rows).toHaveLength(ids.length);
          rows.forEach((row, i) => {
            if (row === null) {
              expect(errorAt(answer, ['rows', i])).toBe(true);
              return;
            }
            expect(row.id).toBe(ids[i]);
            const truth = expected(t, ids[i]!);
            expect(truth, `served ${t} ${JSON.stringify(ids[i])}`).toBeDefined();
            for (const c of columns)
              if (truth !== undefined && Object.hasOwn(truth, c)) expect(row.values[c]).toEqual(truth[c]);
          });
        },
      ),
      { numRuns: 150 },
    );
    const health = await fetch(`${server.origin}/health`);
    expect(health.status).toBe(200);
  });

  it('movies(ids): a bad ID fails its own entry; the others are served', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(id, { maxLength: 12 }), async (ids) => {
        const answer = await post('query ($ids: [ID!]!) { movies(ids: $ids) { id title } }', { ids });
        expectCoded(answer);
        const movies = answer.body.data?.['movies'] as Array<{ id: string; title: string } | null>;
        expect(movies).toHaveLength(ids.length);
        movies.forEach((m, i) => {
          const truth = expected('movies', ids[i]!);
          if (m === null) expect(errorAt(answer, ['movies', i])).toBe(true);
          else expect(m).toEqual({ id: ids[i], title: truth?.['title'] });
          // Only the poisoned ID and IDs the source lacks may fail; every good one is served.
          if (truth !== undefined && ids[i] !== '66666') expect(m).not.toBeNull();
        });
      }),
      { numRuns: 150 },
    );
    const health = await fetch(`${server.origin}/health`);
    expect(health.status).toBe(200);
  });
});
