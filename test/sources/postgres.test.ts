/**
 * The shared SQL path (sql.ts) through the postgres source, on the real PostgreSQL of
 * DATABASE_URL (or PGlite when it is unset, see test/helpers/pg.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ColumnNotFoundError, UpstreamFailedError } from '../../src/errors.js';
import { JsonText } from '../../src/json/json-text.js';
import { createPostgresSource } from '../../src/sources/postgres.js';
import { buildSelect, type KeyKind, parsePgTimestamp, quoteIdent } from '../../src/sources/sql.js';
import type { FetchContext, SourceResult, SourceRow } from '../../src/sources/types.js';
import { createTestDb, type TestDb } from '../helpers/pg.js';
import { serviceAvailable } from '../helpers/services.js';

const ctx = (signal = new AbortController().signal): FetchContext => ({
  table: 't',
  signal,
  batch: 1,
  attempt: 1,
});
const rows = (r: SourceResult): SourceRow[] => (Array.isArray(r) ? r : r.toRecords());
const byId = (r: SourceResult): Map<unknown, SourceRow> => new Map(rows(r).map((x) => [x['id'], x]));

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await db.exec(`
    CREATE TABLE movies (code text PRIMARY KEY, title text, year int, rating numeric, details jsonb,
      tags json, votes bigint, huge bigint, released date, "odd ""name" text);
    INSERT INTO movies VALUES
      ('007', 'Dr. No', 1962, 7.2, '{"cast":[{"name":"Connery"}]}', '["spy"]', 12345, 9007199254740993,
       '1962-10-05', 'quoted'),
      ('7', 'Seven', 1995, 8.6, null, null, null, null, null, null);
    CREATE TABLE people (id int PRIMARY KEY, name text);
    INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace'), (0, 'Zero'), (-5, 'Minus');
    CREATE TABLE wide (id bigint PRIMARY KEY, name text);
    INSERT INTO wide VALUES (9007199254740993, 'past 2^53'), (9223372036854775807, 'max');
    CREATE TABLE things (id uuid PRIMARY KEY, name text);
    INSERT INTO things VALUES ('0e4b6c3a-5f7d-4a8e-9c21-3b5d7f9e1a20', 'thing');
  `);
});

afterAll(async () => {
  await db?.teardown();
});

describe('timestamp text', () => {
  it.each([
    ['2024-01-02 03:04:05', '2024-01-02T03:04:05.000Z'], // timestamp: UTC, not the server's zone
    ['2024-01-02 03:04:05.678912+02', '2024-01-02T01:04:05.678Z'],
    ['2024-01-02 03:04:05-03:30', '2024-01-02T06:34:05.000Z'],
    ['0001-01-01 00:00:00+00', '0001-01-01T00:00:00.000Z'],
    ['1900-01-01 00:00:00+00:09:21', '1899-12-31T23:50:39.000Z'], // historical zones have seconds
  ])('parses %s', (text, iso) => {
    expect((parsePgTimestamp(text) as Date).toISOString()).toBe(iso);
  });

  it.each(['infinity', '-infinity', '0044-03-15 10:00:00 BC'])('leaves %s as text', (text) => {
    expect(parsePgTimestamp(text)).toBe(text);
  });
});

describe('SQL building', () => {
  it('quotes identifiers by doubling inner quotes', () => {
    expect(quoteIdent('odd "name')).toBe('"odd ""name"');
    expect(buildSelect('s', 't', 'id', ['a'])).toBe(
      'SELECT "id" AS "id", "a" FROM "s"."t" WHERE "id"::text = ANY($1::text[])',
    );
  });
});

describe(`postgres source (${process.env['DATABASE_URL'] ? 'PostgreSQL' : 'PGlite fallback'})`, () => {
  it('returns only id and the requested columns', async () => {
    const src = db.source('movies', { table: 'movies', idColumn: 'code' });
    const out = rows(await src.fetch(['007'], ['title', 'year'], ctx()));
    expect(out).toEqual([{ id: '007', title: 'Dr. No', year: 1962 }]);
    expect(Object.keys(out[0] ?? {}).sort()).toEqual(['id', 'title', 'year']);
  });

  it('keeps numeric-looking string IDs as they are ("007" is not "7")', async () => {
    const src = db.source('movies', { table: 'movies', idColumn: 'code' });
    const out = byId(await src.fetch(['007', '7'], ['title'], ctx()));
    expect(out.get('007')?.['title']).toBe('Dr. No');
    expect(out.get('7')?.['title']).toBe('Seven');
  });

  it('keeps JSON and JSONB as the checked text the server sent, and turns numeric, bigint and date into JSON-friendly values', async () => {
    const src = db.source('movies', { table: 'movies', idColumn: 'code' });
    const cols = ['details', 'tags', 'rating', 'votes', 'huge', 'released'];
    const [row] = rows(await src.fetch(['007'], cols, ctx()));
    // Not parsed into objects: a JSON column stores the text as it is (JsonText), unchecked again.
    const { details, tags } = row ?? {};
    expect(details).toBeInstanceOf(JsonText);
    expect((details as JsonText).text).toBe('{"cast": [{"name": "Connery"}]}');
    expect((tags as JsonText).text).toBe('["spy"]');
    expect(JSON.parse(JSON.stringify(row))).toEqual({
      id: '007',
      details: { cast: [{ name: 'Connery' }] },
      tags: ['spy'],
      // Exact text, whatever the size: BigInt columns take int8 this way, String columns numeric.
      rating: '7.2',
      votes: '12345',
      huge: '9007199254740993',
      released: '1962-10-05',
    });
  });

  it('a JSON null, even with blanks, is a null; a JSON key is the ID it holds', async () => {
    await db.exec(`CREATE TABLE jkeys (k jsonb PRIMARY KEY, a json, b jsonb);
      INSERT INTO jkeys VALUES ('"abc"', ' null', 'null'), ('"def"', '{"x": 1}', '5')`);
    const src = db.source('jkeys', {
      table: 'jkeys',
      idColumn: 'k',
      query: `SELECT k AS id, a, b FROM ${db.schema}.jkeys WHERE k = ANY(SELECT to_jsonb(x) FROM unnest($1::text[]) AS x)`,
    });
    const out = byId(await src.fetch(['abc', 'def'], ['a', 'b'], ctx()));
    expect(out.get('abc')).toEqual({ id: 'abc', a: null, b: null });
    const { a, b } = out.get('def') ?? {};
    expect((a as JsonText).text).toBe('{"x": 1}');
    expect((b as JsonText).value()).toBe(5);
  });

  it('matches an int id column with string IDs and leaves missing IDs out', async () => {
    const src = db.source('people', { table: 'people', idColumn: 'id' });
    const out = rows(await src.fetch(['2', '99', 'not-a-number'], ['name'], ctx()));
    expect(out).toEqual([{ id: '2', name: 'Grace' }]);
  });

  it('an int key matches only IDs in its canonical text, as the text comparison did, and never errors', async () => {
    const src = db.source('people', { table: 'people', idColumn: 'id' });
    const asked = ['02', '+2', '2.0', ' 2', '-0', '0', '-5', '1e0', '99999999999999999999', '-'];
    const out = byId(await src.fetch(asked, ['name'], ctx()));
    expect([...out.keys()].sort()).toEqual(['-5', '0']);
    expect(rows(await src.fetch(['02', 'x'], ['name'], ctx()))).toEqual([]);
    const wide = db.source('wide', { table: 'wide', idColumn: 'id' });
    const big = byId(
      await wide.fetch(
        // Past int64 at either end: not found, never an error from PostgreSQL.
        [
          '9007199254740993',
          '9007199254740992',
          '9223372036854775807',
          '9223372036854775808',
          '-9223372036854775809',
        ],
        ['name'],
        ctx(),
      ),
    );
    expect(Object.fromEntries([...big].map(([k, v]) => [k, v['name']]))).toEqual({
      '9007199254740993': 'past 2^53',
      '9223372036854775807': 'max',
    });
  });

  it('a uuid key matches its canonical (lower-case) text; other text is simply not found', async () => {
    const src = db.source('things', { table: 'things', idColumn: 'id' });
    const id = '0e4b6c3a-5f7d-4a8e-9c21-3b5d7f9e1a20';
    const out = rows(await src.fetch([id, id.toUpperCase(), 'not-a-uuid'], ['name'], ctx()));
    expect(out).toEqual([{ id, name: 'thing' }]);
  });

  it('reads a column whose name needs quoting', async () => {
    const src = db.source('movies', { table: 'movies', idColumn: 'code' });
    const out = rows(await src.fetch(['007'], ['odd "name'], ctx()));
    expect(out).toEqual([{ id: '007', 'odd "name': 'quoted' }]);
  });

  it('rejects an unknown column with COLUMN_NOT_FOUND naming it and the known ones', async () => {
    const src = db.source('movies', { table: 'movies', idColumn: 'code' });
    const err = await src.fetch(['007'], ['title', 'nope'], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ColumnNotFoundError);
    expect(err).toMatchObject({ code: 'COLUMN_NOT_FOUND' });
    expect((err as Error).message).toContain('"nope"');
    expect((err as Error).message).toContain('title');
  });

  it('sees a column added upstream after the first lookup', async () => {
    await db.exec('CREATE TABLE evolving (id text PRIMARY KEY); INSERT INTO evolving VALUES ($$a$$);');
    const src = db.source('evolving', { table: 'evolving', idColumn: 'id' });
    expect(await src.columns?.()).toEqual(['id']);
    await db.exec('ALTER TABLE evolving ADD COLUMN added int DEFAULT 5;');
    expect(rows(await src.fetch(['a'], ['added'], ctx()))).toEqual([{ id: 'a', added: 5 }]);
  });

  it('lists the table columns', async () => {
    const src = db.source('people', { table: 'people', idColumn: 'id' });
    expect(await src.columns?.()).toEqual(['id', 'name']);
    expect(src.maxBatchSize).toBe(50_000);
  });

  it('runs a custom query with the IDs as $1 and keeps only id and the requested columns', async () => {
    const query = `SELECT id::text AS id, upper(name) AS shout, name FROM ${db.schema}.people WHERE id::text = ANY($1)`;
    const src = db.source('people', { query, idColumn: 'id' });
    const out = rows(await src.fetch(['1', '3'], ['shout'], ctx()));
    expect(out).toEqual([{ id: '1', shout: 'ADA' }]);
    expect(await src.columns?.()).toEqual(['id', 'shout', 'name']);
    const err = await src.fetch(['1'], ['title'], ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'COLUMN_NOT_FOUND' });
  });

  it('reports a missing upstream table as UPSTREAM_FAILED naming it', async () => {
    const src = db.source('ghosts', { table: 'ghosts', idColumn: 'id' });
    const err = await src.fetch(['1'], ['name'], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamFailedError);
    expect((err as Error).message).toContain('ghosts');
  });

  it('rejects once the signal aborts', async () => {
    const src = db.source('people', { table: 'people', idColumn: 'id' });
    const ac = new AbortController();
    ac.abort(new Error('batch timed out'));
    const err = await src.fetch(['1'], ['name'], ctx(ac.signal)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_FAILED' });
  });
});

describe.runIf(serviceAvailable('PostgreSQL (DATABASE_URL)', process.env['DATABASE_URL'] !== undefined))(
  'postgres source against the server',
  () => {
    it("looks an int or uuid key up through the table's index, not a scan of every row", async () => {
      await db.exec(`CREATE TABLE indexed (id bigint PRIMARY KEY, name text);
      INSERT INTO indexed SELECT n, 'n' || n FROM generate_series(1, 50000) AS n; ANALYZE indexed;`);
      const client = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
      await client.connect();
      try {
        const plan = async (key: KeyKind): Promise<string> => {
          const sql = buildSelect(db.schema, 'indexed', 'id', ['name'], key).replace('$1', `'{7,42,4242}'`);
          const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
          return r.rows.map((x) => x['QUERY PLAN']).join('\n');
        };
        expect(await plan('int')).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
        // What the text comparison cost: every row read and cast.
        expect(await plan('text')).toMatch(/Seq Scan/);
      } finally {
        await client.end();
      }
    });

    it('cancels the running statement on the server when the signal aborts', async () => {
      // Sleeps once per ID, so describing the query (with no IDs) returns at once.
      const query = `SELECT u.id, pg_sleep(30)::text AS slept /* cg-cancel-me */ FROM unnest($1::text[]) AS u(id)`;
      const src = db.source('sleepy', { query, idColumn: 'id' });
      expect(await src.columns?.()).toEqual(['id', 'slept']);
      const ac = new AbortController();
      const pending = src.fetch(['1'], ['slept'], ctx(ac.signal)).catch((e: unknown) => e);
      const probe = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
      await probe.connect();
      const running = async (): Promise<number> => {
        const r = await probe.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%cg-cancel-me%' AND pid <> pg_backend_pid()`,
        );
        return (r.rows[0] as { n: number }).n;
      };
      try {
        await vi.waitFor(async () => expect(await running()).toBe(1), { timeout: 10_000 });
        ac.abort(new Error('batch timed out'));
        expect(await pending).toMatchObject({ code: 'UPSTREAM_FAILED' });
        await vi.waitFor(async () => expect(await running()).toBe(0), { timeout: 10_000 });
      } finally {
        await probe.end();
      }
    });

    it('does not put the password in the message of a connection failure', async () => {
      const src = createPostgresSource(
        {
          kind: 'postgres',
          url: 'postgres://someone:s3cr3t-pw@127.0.0.1:1/nowhere',
          table: 't',
          idColumn: 'id',
        },
        'movies',
      );
      const err = await src.fetch(['1'], ['a'], ctx()).catch((e: unknown) => e);
      await src.close?.();
      expect(err).toBeInstanceOf(UpstreamFailedError);
      const message = (err as Error).message;
      expect(message).toContain('"movies"');
      expect(message).toContain('127.0.0.1:1');
      expect(message).not.toContain('s3cr3t-pw');
      expect(message).not.toMatch(/select/i);
    });
  },
);
