/**
 * 2. Cold fill from the PostgreSQL on 127.0.0.1: N rows × 7 columns (one JSON) through `warm`
 * (until the job's last event, then until `close()` has flushed) and through `getData`
 * (`durable: true`), beside the same batch plan sent straight through `pg`. Each variant runs
 * in its own child process (see ../engine.ts), so its peak RSS is its own. Also: one batch of
 * 10,000 IDs as `pg` row objects against `COPY … TO STDOUT` CSV read by polars' CSV reader.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Manifest } from '../../src/cache/manifest.js';
import { createCache } from '../../src/engine/cache.js';
import type { FetchProgress } from '../../src/engine/types.js';
import { batchSize } from '../../src/fetch/batch-plan.js';
import {
  ALL_COLUMNS,
  type BenchEnv,
  COLUMNS,
  fmt,
  type Line,
  log,
  median,
  peakRssMb,
  sampleIds,
  TABLE,
  timed,
} from './common.js';

const PG_TABLE = 'cachegate_bench_movies';
/**
 * The ID is text, compared as text by both the source and the direct-pg baseline. (An integer
 * or uuid key is compared in its own type since 2026-11-25, so it uses the index too; before,
 * `id::text = ANY(…)` scanned the whole table: 148 ms per batch of 1,000 at 300,000 rows.)
 */
const SELECT = `SELECT id::text AS id, title, year, rating, country, votes, active, details FROM ${PG_TABLE}`;

export async function benchFill(env: BenchEnv, arg: string): Promise<Line[]> {
  if (arg === 'prepare') return prepare(env);
  if (arg === 'copy') return copyVsRows(env);
  const [how, n] = arg.split(':') as ['pg' | 'warm' | 'getData', string];
  return fill(env, how, Number(n));
}

/** Creates the upstream table once (kept between runs: rebuilt only when its size differs). */
async function prepare(env: BenchEnv): Promise<Line[]> {
  const rows = Math.max(...env.fillSizes);
  const c = new pg.Client({ connectionString: env.databaseUrl });
  await c.connect();
  try {
    const have = await c
      .query<{ n: string }>(`SELECT count(*) AS n FROM ${PG_TABLE}`)
      .then((r) => Number(r.rows[0]!.n))
      .catch(() => -1);
    if (have === rows) return [];
    const t = await timed(async () => {
      await c.query(`DROP TABLE IF EXISTS ${PG_TABLE}`);
      await c.query(`CREATE TABLE ${PG_TABLE} (id text PRIMARY KEY, title text, year int, rating float8,
        country text, votes int, active boolean, details jsonb)`);
      await c.query(
        `INSERT INTO ${PG_TABLE}
         SELECT n::text, 'Movie ' || n, 1900 + n % 125, (n % 100) / 10.0, (ARRAY['US','FR','DE','JP','IN','BR'])[1 + n % 6],
                ((n::bigint * 7919) % 1000000)::int, n % 3 <> 0,
                jsonb_build_object('meta', jsonb_build_object('score', (n % 1000) / 10.0, 'tags', jsonb_build_array('drama', CASE WHEN n % 2 = 0 THEN 'new' ELSE 'classic' END)),
                                   'cast', jsonb_build_array(jsonb_build_object('name', 'Ada', 'age', 20 + n % 50), jsonb_build_object('name', 'Ben', 'age', 30 + n % 40)),
                                   'runtime', 80 + n % 90)
         FROM generate_series(1, $1::int) AS n`,
        [rows],
      );
      await c.query(`VACUUM ANALYZE ${PG_TABLE}`);
    });
    log(`created ${PG_TABLE} with ${fmt(rows)} rows in ${(t.ms / 1000).toFixed(1)} s`);
    return [];
  } finally {
    await c.end();
  }
}

/** The cache config of the fill: the `movies` table over the upstream table in PostgreSQL. */
export function fillConfig(env: Pick<BenchEnv, 'databaseUrl'>, cacheDir: string) {
  return {
    cacheDir,
    tables: {
      [TABLE]: {
        columns: { ...COLUMNS },
        source: { kind: 'postgres', url: env.databaseUrl, table: PG_TABLE, idColumn: 'id' },
      },
    },
  };
}

async function fill(env: BenchEnv, how: 'pg' | 'warm' | 'getData', n: number): Promise<Line[]> {
  const ids = Array.from({ length: n }, (_, i) => String(i + 1));
  const size = batchSize(n);
  const batches = Math.ceil(n / size);
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-fill-'));
  const label = `${fmt(n)} rows × 7 columns`;
  try {
    let ms: number;
    let note = '';
    if (how === 'pg') {
      // The engine's batch plan, sent sequentially over one connection, rows kept as pg returns them.
      const c = new pg.Client({ connectionString: env.databaseUrl });
      await c.connect();
      let got = 0;
      ms = (
        await timed(async () => {
          for (let i = 0; i < n; i += size) {
            const r = await c.query(`${SELECT} WHERE id::text = ANY($1::text[])`, [ids.slice(i, i + size)]);
            got += r.rows.length;
          }
        })
      ).ms;
      await c.end();
      if (got !== n) throw new Error(`pg returned ${got} of ${n} rows`);
      note = `${batches} batches of ${fmt(size)} ids`;
    } else if (how === 'warm') {
      const cache = createCache(fillConfig(env, cacheDir));
      const t0 = performance.now();
      const final = await new Promise<FetchProgress>((resolve) => {
        let jobId: string | undefined;
        const early: FetchProgress[] = [];
        const on = (e: FetchProgress): void => {
          if (e.jobId === jobId && e.status !== 'RUNNING') resolve(e);
        };
        cache.jobs.subscribe((e) => (jobId === undefined ? early.push(e) : on(e)));
        jobId = cache.warm(TABLE, ids).jobId;
        for (const e of early) on(e);
      });
      const jobMs = performance.now() - t0;
      await cache.close();
      ms = performance.now() - t0;
      if (final.status !== 'SUCCEEDED' || final.rowsFetched !== n)
        throw new Error(`warm ended ${final.status} with ${final.rowsFetched} rows: ${final.message}`);
      note = `job end ${(jobMs / 1000).toFixed(1)} s, flushed (close) ${(ms / 1000).toFixed(1)} s; ${await layout(cacheDir)}`;
    } else {
      const cache = createCache(fillConfig(env, cacheDir));
      const t0 = performance.now();
      const df = await cache.getData(TABLE, ids, ALL_COLUMNS, { durable: true });
      ms = performance.now() - t0;
      if (df.height !== n) throw new Error(`getData returned ${df.height} rows`);
      await cache.close();
      note = `durable: true, returns the ${fmt(n)}-row frame; close ${((performance.now() - t0 - ms) / 1000).toFixed(1)} s more; ${await layout(cacheDir)}`;
    }
    const rss = peakRssMb();
    log(`fill ${how} ${fmt(n)}: ${(ms / 1000).toFixed(1)} s, peak RSS ${rss.toFixed(0)} MB`);
    return [
      { bench: '2 fill', case: `${label} via ${how}`, value: ms / 1000, unit: 's', note },
      { bench: '2 fill', case: `${label} via ${how}: peak RSS`, value: rss, unit: 'MB' },
    ];
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function layout(cacheDir: string): Promise<string> {
  const m = JSON.parse(await readFile(path.join(cacheDir, TABLE, 'manifest.json'), 'utf8')) as Manifest;
  const rows = [...m.parts, ...m.deltas].reduce((s, f) => s + f.rows, 0);
  return `${m.parts.length} parts + ${m.deltas.length} deltas, ${fmt(rows)} rows on disk`;
}

/** One batch of 10,000 IDs × 7 columns: pg row objects against COPY CSV read by polars. */
async function copyVsRows(env: BenchEnv): Promise<Line[]> {
  const ids = sampleIds(10_000, Math.min(...env.fillSizes), 42);
  const c = new pg.Client({ connectionString: env.databaseUrl });
  await c.connect();
  try {
    const reps = Math.max(env.reps, 10);
    const rowsMs: number[] = [];
    const csvMs: number[] = [];
    // COPY takes no bind parameters: the IDs go in as one escaped array literal.
    const literal = c.escapeLiteral(`{${ids.join(',')}}`);
    // PostgreSQL writes booleans as t/f in CSV, which polars' reader does not take as Bool.
    const copySelect = SELECT.replace(
      'active,',
      "CASE WHEN active THEN 'true' WHEN NOT active THEN 'false' END AS active,",
    );
    const copySql = `COPY (${copySelect} WHERE id::text = ANY(${literal}::text[])) TO STDOUT WITH (FORMAT csv, HEADER true)`;
    const dtypes = {
      id: pl.String,
      title: pl.String,
      year: pl.Int64,
      rating: pl.Float64,
      country: pl.String,
      votes: pl.Int64,
      active: pl.Bool,
      details: pl.String,
    };
    for (let i = 0; i <= reps; i++) {
      const a = await timed(() => c.query(`${SELECT} WHERE id::text = ANY($1::text[])`, [ids]));
      const b = await timed(async () => {
        const chunks: Buffer[] = [];
        const stream = c.query(copyTo(copySql));
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return pl.readCSV(Buffer.concat(chunks), { hasHeader: true, dtypes });
      });
      if (a.value.rows.length !== ids.length || b.value.height !== ids.length)
        throw new Error(`copy bench: ${a.value.rows.length} rows vs ${b.value.height}`);
      if (i === 0) continue;
      rowsMs.push(a.ms);
      csvMs.push(b.ms);
    }
    log(`copy: pg rows ${median(rowsMs).toFixed(1)} ms, COPY CSV + readCSV ${median(csvMs).toFixed(1)} ms`);
    return [
      {
        bench: '2 fill',
        case: '1 batch of 10,000 ids × 7 columns: COPY … TO STDOUT CSV → polars readCSV (typed)',
        value: median(csvMs),
        unit: 'ms',
        baseline: 'pg query → row objects',
        baselineValue: median(rowsMs),
        note: 'report only (the lead decides)',
      },
    ];
  } finally {
    await c.end();
  }
}
