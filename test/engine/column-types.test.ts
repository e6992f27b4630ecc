/**
 * BigInt, DateTime and Date end to end: PostgreSQL int8 / timestamptz / timestamp / date columns
 * through `createCache().getData`, `lookup`, the Parquet files on disk and the GraphQL server;
 * and a refused value that leaves the cache as it was.
 */
// A time zone far from UTC, set before anything reads the clock: pg's default parsing of `date`
// (local midnight) would shift every day here, so this proves the sources do not use it.
process.env['TZ'] = 'Pacific/Kiritimati';

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createCache } from '../../src/engine/cache.js';
import type { Fetcher, Source } from '../../src/sources/types.js';
import { createTestDb, type TestDb } from '../helpers/pg.js';
import { serverTempDir, startTestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/temp-dir.js';

const COLUMNS = { big: 'BigInt', at: 'DateTime', local_at: 'DateTime', day: 'Date', n: 'Int' } as const;
const NAMES = Object.keys(COLUMNS);
// 2,100 rows: more than the store's small-lookup bound (2,000), so both read paths run.
const ROWS = 2_100;

let db: TestDb;
let src: Source;

beforeAll(async () => {
  db = await createTestDb();
  await db.exec(`
    CREATE TABLE events (id text PRIMARY KEY, big int8, at timestamptz, local_at timestamp, day date, n int4);
    INSERT INTO events
    SELECT g::text, 9007199254740993 + g, '2024-01-02 03:04:05.678+02'::timestamptz + g * interval '1 day',
      '2024-01-02 03:04:05', '2024-02-28'::date + g, g
    FROM generate_series(1, ${ROWS}) AS g;
    INSERT INTO events VALUES
      ('min', -9223372036854775808, '0001-01-01 00:00:00+00', '9999-12-31 23:59:59.999', '0001-01-01', -2147483648),
      ('max', 9223372036854775807, null, null, '9999-12-31', 2147483647),
      ('inf', 1, 'infinity', null, '2024-01-01', 1),
      ('bc', 1, null, null, '0044-03-15 BC', 1);
  `);
  src = db.source('events', { table: 'events', idColumn: 'id' });
});

afterAll(async () => {
  await db?.teardown();
});

/** The source as a fetcher, counting the ids it is asked for. */
function countingFetcher(): { fetch: Fetcher; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: (ids, columns, ctx) => {
      asked.push(...ids);
      return src.fetch(ids, columns, ctx);
    },
  };
}

async function newCache(dir?: string) {
  const cacheDir = dir ?? path.join(await tempDir(), 'cache');
  const cache = createCache({
    cacheDir,
    tables: { events: { columns: COLUMNS, batch: { retries: 0 } } },
  });
  return { cache, cacheDir };
}

const EXPECTED_1 = {
  id: '1',
  big: '9007199254740994',
  at: '2024-01-03T01:04:05.678Z',
  local_at: '2024-01-02T03:04:05.000Z',
  day: '2024-02-29',
  n: 1,
};
const EXPECTED_MIN = {
  id: 'min',
  big: '-9223372036854775808',
  at: '0001-01-01T00:00:00.000Z',
  local_at: '9999-12-31T23:59:59.999Z',
  day: '0001-01-01',
  n: -2147483648,
};
const EXPECTED_MAX = {
  id: 'max',
  big: '9223372036854775807',
  at: null,
  local_at: null,
  day: '9999-12-31',
  n: 2147483647,
};

/** A frame's rows with BigInt as text and dates as ISO text, to compare exactly. */
function exactRecords(df: pl.DataFrame): Record<string, unknown>[] {
  return df
    .withColumns(pl.col('big').cast(pl.String))
    .toRecords()
    .map((r: Record<string, unknown>) => ({
      ...r,
      at: iso(r['at']),
      local_at: iso(r['local_at']),
      day: iso(r['day'])?.slice(0, 10) ?? null,
    }));
}

function iso(v: unknown): string | null {
  if (v === null) return null;
  if (!(v instanceof Date)) throw new Error(`expected a Date, got ${String(v)}`);
  return v.toISOString();
}

describe(`int8, timestamptz, timestamp and date from ${process.env['DATABASE_URL'] ? 'PostgreSQL' : 'PGlite (DATABASE_URL unset)'}`, () => {
  it('getData returns native dtypes with exact values, on the small and the large lookup path', async () => {
    const { cache, cacheDir } = await newCache();
    const f = countingFetcher();
    const small = await cache.getData('events', ['1', 'min', 'max'], NAMES, { fetcher: f.fetch });
    expect(small.schema).toEqual({
      id: pl.String,
      big: pl.Int64,
      at: pl.Datetime('ms', 'UTC'),
      local_at: pl.Datetime('ms', 'UTC'),
      day: pl.Date,
      n: pl.Int64,
    });
    expect(exactRecords(small)).toEqual([EXPECTED_1, EXPECTED_MIN, EXPECTED_MAX]);

    const all = Array.from({ length: ROWS }, (_, i) => String(i + 1)).concat(['min', 'max']);
    const large = await cache.getData('events', all, NAMES, { fetcher: f.fetch });
    expect(large.height).toBe(ROWS + 2);
    expect(large.schema).toEqual(small.schema);
    const rows = exactRecords(large);
    expect(rows[0]).toEqual(EXPECTED_1);
    expect(rows[ROWS - 1]).toMatchObject({ big: String(9007199254740993n + BigInt(ROWS)), n: ROWS });
    expect(rows.slice(-2)).toEqual([EXPECTED_MIN, EXPECTED_MAX]);
    // Once compacted into base parts, the same ids come back through the polars lookup path.
    await cache.compact('events');
    const fromParts = await cache.getData('events', all, NAMES, { fetcher: f.fetch });
    expect(fromParts.schema).toEqual(small.schema);
    expect(exactRecords(fromParts)).toEqual(rows);

    // The Parquet parts hold native types (int64, timestamp[ms, UTC], date32).
    const files = (await readdir(path.join(cacheDir, 'events'))).filter((f) => f.endsWith('.parquet'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const part = pl.readParquet(path.join(cacheDir, 'events', file));
      if (!part.columns.includes('big')) continue;
      expect(part.getColumn('big').dtype).toEqual(pl.Int64);
      expect(part.getColumn('at').dtype).toEqual(pl.Datetime('ms', 'UTC'));
      expect(part.getColumn('day').dtype).toEqual(pl.Date);
    }

    // A fresh cache on the same folder answers from the files alone, values still exact.
    const again = (await newCache(cacheDir)).cache;
    const none: Fetcher = async () => {
      throw new Error('must be served from the cache');
    };
    expect(
      exactRecords(await again.getData('events', ['1', 'min', 'max'], NAMES, { fetcher: none })),
    ).toEqual([EXPECTED_1, EXPECTED_MIN, EXPECTED_MAX]);
    const lookup = await again.lookup('events', ['min', '1'], NAMES, { fetcher: none });
    const { id: _min, ...minValues } = EXPECTED_MIN;
    const { id: _one, ...oneValues } = EXPECTED_1;
    expect(lookup.rows.get('min')).toEqual(minValues);
    expect(lookup.rows.get('1')).toEqual(oneValues);
    await Promise.all([cache.close(), again.close()]);
  });

  it('a refused value fails its batch and caches none of it; earlier rows stay readable', async () => {
    const { cache } = await newCache();
    const f = countingFetcher();
    await cache.getData('events', ['1'], NAMES, { fetcher: f.fetch });
    const before = (await cache.stats('events'))[0]?.rows;

    for (const [id, column, value] of [
      ['inf', 'at', '"infinity"'],
      ['bc', 'day', '"0044-03-15 BC"'],
    ] as const) {
      const res = await cache.lookup('events', [id, '2'], NAMES, { fetcher: f.fetch });
      expect(res.rows.size).toBe(0);
      for (const failed of [id, '2']) {
        expect(res.errors.get(failed)).toMatchObject({
          code: 'UPSTREAM_FAILED',
          details: { reason: 'VALUE_REFUSED', table: 'events', column, id, value },
        });
      }
      await expect(cache.getData('events', [id], NAMES, { fetcher: f.fetch })).rejects.toMatchObject({
        code: 'UPSTREAM_FAILED',
        details: { reason: 'VALUE_REFUSED', id },
      });
    }
    // Never cached: each attempt asked the upstream again.
    expect(f.asked.filter((id) => id === 'inf')).toHaveLength(2);
    expect((await cache.stats('events'))[0]?.rows).toBe(before);
    const one = await cache.getData('events', ['1'], NAMES, {
      fetcher: async () => {
        throw new Error('must be served from the cache');
      },
    });
    expect(exactRecords(one)).toEqual([EXPECTED_1]);
    await cache.close();
  });

  it('the GraphQL server serves BigInt as a string, DateTime and Date as ISO text', async () => {
    const dir = await serverTempDir();
    const config = parseConfig(
      {
        cacheDir: 'cache',
        tables: {
          events: {
            typeName: 'Event',
            source: db.sourceConfig({ table: 'events', idColumn: 'id' }),
            columns: COLUMNS,
            batch: { retries: 0 },
          },
        },
      },
      dir,
    );
    const server = await startTestServer({ config });
    try {
      const query = '{ events(ids: ["1", "min", "max"]) { id big at local_at day n } }';
      const first = await server.requestText(query);
      expect(first.errors).toBeUndefined();
      expect(first.data).toEqual({ events: [EXPECTED_1, EXPECTED_MIN, EXPECTED_MAX] });
      // Again, from the cache.
      expect((await server.requestText(query)).data).toEqual(first.data);

      const refused = await server.requestText('{ event(id: "inf") { id at } events(ids: ["1"]) { big } }');
      expect(refused.data).toEqual({ event: null, events: [{ big: EXPECTED_1.big }] });
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors?.[0]).toMatchObject({
        path: ['event'],
        extensions: {
          code: 'UPSTREAM_FAILED',
          reason: 'VALUE_REFUSED',
          column: 'at',
          id: 'inf',
        },
      });
      // The value itself stays in the server log (upstream data); the client gets table, id, reason.
      expect(refused.errors?.[0]?.message).toMatch(/table "events" failed \(VALUE_REFUSED\)/);

      const sdl = await server.requestText('{ __type(name: "Event") { fields { name type { name } } } }');
      const types = Object.fromEntries(
        (
          sdl.data as { __type: { fields: Array<{ name: string; type: { name: string } }> } }
        ).__type.fields.map((f) => [f.name, f.type.name]),
      );
      expect(types).toMatchObject({
        big: 'BigInt',
        at: 'DateTime',
        local_at: 'DateTime',
        day: 'Date',
        n: 'Int',
      });
    } finally {
      await server.stop();
    }
  });
});
