/**
 * 3. Warm lookups: `getData` of 1 / 1,000 / 100,000 cached IDs × 3 columns on a table of
 * BENCH_ROWS rows, beside DuckDB and raw polars on the same files, with 0, 10 and 100 pending
 * deltas (1,000 changed rows each, written by a second store on the same folder as another
 * process would; compaction held off by the store limits so they stay pending).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Manifest } from '../../src/cache/manifest.js';
import { CacheStore } from '../../src/cache/store.js';
import { DEFAULT_NOT_FOUND_TTL_MS } from '../../src/config/types.js';
import { createCache } from '../../src/engine/cache.js';
import { buildTable } from './build-table.js';
import {
  ALL_COLUMNS,
  type BenchEnv,
  COLUMNS,
  fmt,
  type Line,
  limits,
  log,
  medianOf,
  movieRow,
  sampleIds,
  TABLE,
  THREE,
} from './common.js';
import { duckdbPeer, polarsPeer } from './peers.js';

const HOLD_COMPACTION = { compactDeltas: 10_000, compactDeltaRows: 100_000_000 };

export async function benchLookups(env: BenchEnv): Promise<Line[]> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-lookups-'));
  const dir = path.join(cacheDir, TABLE);
  const lines: Line[] = [];
  try {
    await buildTable(cacheDir, TABLE, env.rows, limits());
    const cache = createCache({
      cacheDir,
      tables: { [TABLE]: { columns: { ...COLUMNS } } },
      store: HOLD_COMPACTION,
    });
    const writer = new CacheStore(cacheDir, limits(HOLD_COMPACTION)).table(TABLE, () => ({
      notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
    }));
    // 1,000 rows per delta at 1M rows; fewer on a quick run, so the deltas stay below the base.
    const deltaRows = Math.min(1_000, Math.floor(env.rows / 200));
    const none: Record<number, number> = {};
    let deltas = 0;
    for (const target of [0, 10, 100]) {
      for (; deltas < target; deltas++) {
        const ids = sampleIds(deltaRows, env.rows, 10_000 + deltas);
        const rows = ids.map((id) => movieRow(id, ALL_COLUMNS, deltas + 1));
        await writer.write({ rows, columns: ALL_COLUMNS, notFound: [], fetchedAt: Date.now() });
        await writer.flush();
      }
      const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
      if (m.deltas.length !== target)
        throw new Error(`expected ${target} deltas, the manifest has ${m.deltas.length}`);
      const duck = await duckdbPeer(dir, m);
      const raw = polarsPeer(dir, m);
      for (const n of [1, 1_000, 100_000].filter((k) => k <= env.rows)) {
        const ids = sampleIds(n, env.rows, n);
        const check = (got: number): void => {
          if (got !== n) throw new Error(`lookup of ${n} ids returned ${got} rows`);
        };
        const ours = await medianOf(env.reps, async () =>
          check((await cache.getData(TABLE, ids, THREE)).height),
        );
        const dk = await medianOf(env.reps, async () => check(await duck.lookup(ids, THREE)));
        const pr = await medianOf(env.reps, async () => check(await raw.lookup(ids, THREE)));
        log(
          `lookups ${target} deltas, ${n} ids: getData ${ours.toFixed(2)} ms, duckdb ${dk.toFixed(2)}, polars ${pr.toFixed(2)}`,
        );
        const label = `${fmt(n)} IDs × 3 columns, ${target} pending deltas`;
        lines.push({
          bench: '3 lookups',
          case: `getData ${label}`,
          value: ours,
          unit: 'ms',
          baseline: 'DuckDB read_parquet, same files',
          baselineValue: dk,
          goal: n === 1 ? '≤ 0.5× DuckDB; < 1 ms' : '≤ 0.5× DuckDB',
          met: ours <= 0.5 * dk && (n !== 1 || ours < 1),
        });
        lines.push({
          bench: '3 lookups',
          case: `getData ${label}`,
          value: ours,
          unit: 'ms',
          baseline: 'raw polars scanParquet + semi join',
          baselineValue: pr,
        });
        if (target === 0) none[n] = ours;
        else
          lines.push({
            bench: '3 lookups',
            case: `getData ${label}`,
            value: ours,
            unit: 'ms',
            baseline: 'same lookup, 0 pending deltas',
            baselineValue: none[n],
            goal: target === 100 ? '≤ 1.5×' : undefined,
            met: target === 100 ? ours <= 1.5 * none[n]! : undefined,
          });
      }
      duck.close();
    }
    await cache.close();
    await writer.close();
    return lines;
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
