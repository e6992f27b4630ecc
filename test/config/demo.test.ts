import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ROWS, demoConfig } from '../../src/config/demo.js';
import { parseConfig } from '../../src/config/load.js';
import type { CacheGateConfig, PgliteSourceConfig } from '../../src/config/types.js';
import { createPgliteSource, openPglite } from '../../src/sources/pglite.js';
import type { FetchContext, SourceRow } from '../../src/sources/types.js';

/** The demo written back in the config-file form a user would write (`ttl`, `batch.backoff`, …). */
function toRaw(config: CacheGateConfig): unknown {
  return {
    cacheDir: config.cacheDir,
    store: config.store,
    tables: Object.fromEntries(
      Object.entries(config.tables).map(([name, t]) => [
        name,
        {
          typeName: t.typeName,
          ...(t.description ? { description: t.description } : {}),
          source: t.source,
          // A described column takes the object form: { "type": ..., "description": ... }.
          columns: Object.fromEntries(
            Object.entries(t.columns ?? {}).map(([column, type]) => {
              const description = t.columnDescriptions?.[column];
              return [column, description === undefined ? type : { type, description }];
            }),
          ),
          ...(t.relations ? { relations: t.relations } : {}),
          ttl: t.ttlMs,
          notFoundTtl: t.notFoundTtlMs,
          batch: {
            concurrency: t.batch.concurrency,
            retries: t.batch.retries,
            timeout: t.batch.timeoutMs,
            backoff: t.batch.backoffMs,
          },
        },
      ]),
    ),
  };
}

const ctx = (table: string): FetchContext => ({
  table,
  signal: new AbortController().signal,
  batch: 1,
  attempt: 1,
});

describe('demoConfig', () => {
  it('is a valid config: parsing its file form gives it back unchanged', () => {
    const config = demoConfig('/srv/app');
    expect(parseConfig(toRaw(config), '/srv/app', {})).toEqual(config);
  });

  it('keeps its cache and database under <cwd>/.cachegate', () => {
    const config = demoConfig('/srv/app');
    expect(config.cacheDir).toBe('/srv/app/.cachegate');
    for (const table of Object.values(config.tables)) {
      expect(table.source).toMatchObject({
        kind: 'pglite',
        dataDir: '/srv/app/.cachegate/demo-db',
        idColumn: 'id',
      });
    }
    expect(Object.keys(config.tables)).toEqual(['movies', 'people', 'vendors', 'orders']);
    expect(config.tables['movies']?.relations).toEqual({
      director: { table: 'people', column: 'director_id' },
    });
    expect(config.tables['orders']?.relations).toEqual({ vendor: { table: 'vendors', column: 'vendor_id' } });
  });
});

describe('the demo database', () => {
  let cwd: string;
  let config: CacheGateConfig;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'cachegate-demo-'));
    config = demoConfig(cwd);
    // As the CLI does: PGlite creates its dataDir but not the parent folders.
    await mkdir(config.cacheDir, { recursive: true });
  });
  afterAll(() => rm(cwd, { recursive: true, force: true }));

  const source = (table: string): PgliteSourceConfig => config.tables[table]?.source as PgliteSourceConfig;

  it('is seeded on first open with the documented row counts', async () => {
    const movies = source('movies');
    const handle = await openPglite(movies.dataDir, movies.init);
    try {
      for (const [table, count] of Object.entries(DEMO_ROWS)) {
        const result = await handle.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect(result.rows[0]?.n, table).toBe(count);
      }
    } finally {
      await handle.release();
    }
  });

  it('serves rows through the pglite source, JSON with nested objects and arrays, relations that resolve', async () => {
    const movies = createPgliteSource(source('movies'), 'movies', cwd);
    const people = createPgliteSource(source('people'), 'people', cwd);
    try {
      const rows = (await movies.fetch(
        ['1', '5000', '5001'],
        ['title', 'year', 'rating', 'details', 'director_id'],
        ctx('movies'),
      )) as SourceRow[];
      expect(rows.map((r) => r['id']).sort()).toEqual(['1', '5000']);
      const first = rows.find((r) => r['id'] === '1')!;
      expect(first).toMatchObject({
        title: expect.any(String),
        year: expect.any(Number),
        rating: expect.any(Number),
      });
      const details = (
        typeof first['details'] === 'string' ? JSON.parse(first['details']) : first['details']
      ) as {
        genres: string[];
        cast: Array<{ name: string; role: string }>;
        meta: { score: number; language: string };
      };
      expect(details.genres).toHaveLength(2);
      expect(details.cast.length).toBeGreaterThanOrEqual(2);
      expect(details.cast[0]).toEqual({ name: expect.any(String), role: 'Lead' });
      expect(details.meta).toMatchObject({ score: expect.any(Number), language: expect.any(String) });

      const directors = (await people.fetch(
        [String(first['director_id'])],
        ['name'],
        ctx('people'),
      )) as SourceRow[];
      expect(directors).toHaveLength(1);
    } finally {
      await movies.close?.();
      await people.close?.();
    }
  });

  it('is deterministic: the same seed gives the same rows', async () => {
    const other = await mkdtemp(join(tmpdir(), 'cachegate-demo-'));
    await mkdir(join(other, '.cachegate'));
    const a = createPgliteSource(source('orders'), 'orders', cwd);
    const b = createPgliteSource(
      demoConfig(other).tables['orders']?.source as PgliteSourceConfig,
      'orders',
      other,
    );
    try {
      const ids = ['1', '777', '20000'];
      const columns = ['vendor_id', 'total', 'status', 'items'];
      const sorted = (rows: SourceRow[]) =>
        [...rows].sort((x, y) => String(x['id']).localeCompare(String(y['id'])));
      const rowsA = sorted((await a.fetch(ids, columns, ctx('orders'))) as SourceRow[]);
      expect(rowsA).toHaveLength(3);
      expect(sorted((await b.fetch(ids, columns, ctx('orders'))) as SourceRow[])).toEqual(rowsA);
    } finally {
      await a.close?.();
      await b.close?.();
      await rm(other, { recursive: true, force: true });
    }
  });
});
