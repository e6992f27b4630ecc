/**
 * 4. Compaction of 100 deltas (1,000 changed rows each) into a table of BENCH_ROWS rows, run by
 * the engine's own store as its background compaction would, while the same process serves
 * 1-ID `getData` lookups in a loop: the compaction's time, and lookup p50/p99 during it beside
 * the same loop with no compaction.
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
  movieRow,
  quantile,
  sampleIds,
  TABLE,
  THREE,
  timed,
} from './common.js';

const HOLD_COMPACTION = { compactDeltas: 10_000, compactDeltaRows: 100_000_000 };

export async function benchCompaction(env: BenchEnv): Promise<Line[]> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-compaction-'));
  const dir = path.join(cacheDir, TABLE);
  try {
    await buildTable(cacheDir, TABLE, env.rows, limits());
    const writer = new CacheStore(cacheDir, limits(HOLD_COMPACTION)).table(TABLE, () => ({
      notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
    }));
    const deltaRows = Math.min(1_000, Math.floor(env.rows / 200));
    for (let d = 0; d < 100; d++) {
      const ids = sampleIds(deltaRows, env.rows, 20_000 + d);
      await writer.write({
        rows: ids.map((id) => movieRow(id, ALL_COLUMNS, d + 1)),
        columns: ALL_COLUMNS,
        notFound: [],
        fetchedAt: Date.now(),
      });
      await writer.flush();
    }
    await writer.close();
    const cache = createCache({
      cacheDir,
      tables: { [TABLE]: { columns: { ...COLUMNS } } },
      store: HOLD_COMPACTION,
    });
    const probe = sampleIds(2_000, env.rows, 99);
    let k = 0;
    const lookupOnce = async (): Promise<number> => {
      const id = probe[k++ % probe.length]!;
      const t = await timed(() => cache.getData(TABLE, [id], THREE));
      if (t.value.height !== 1) throw new Error(`lookup of ${id} returned ${t.value.height} rows`);
      return t.ms;
    };
    // Loads the part and indexes the 100 deltas.
    await cache.getData(TABLE, probe, THREE);
    const idle: number[] = [];
    for (let i = 0; i < 1_000; i++) idle.push(await lookupOnce());
    const during: number[] = [];
    let done = false;
    const t0 = performance.now();
    const run = cache.compact(TABLE).finally(() => {
      done = true;
    });
    while (!done) during.push(await lookupOnce());
    await run;
    const ms = performance.now() - t0;
    const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    if (m.deltas.length !== 0) throw new Error(`${m.deltas.length} deltas left after compaction`);
    await cache.close();
    log(
      `compaction: ${(ms / 1000).toFixed(1)} s; lookups during p50 ${quantile(during, 0.5).toFixed(2)} p99 ${quantile(during, 0.99).toFixed(2)} (${during.length}); idle p50 ${quantile(idle, 0.5).toFixed(2)} p99 ${quantile(idle, 0.99).toFixed(2)}`,
    );
    const name = `100 deltas (${fmt(deltaRows)} rows each) into ${fmt(env.rows)} rows`;
    return [
      {
        bench: '4 compaction',
        case: `${name}: time`,
        value: ms / 1000,
        unit: 's',
        note: `${m.parts.length} part(s) after`,
      },
      {
        bench: '4 compaction',
        case: `1-ID getData p50 while it runs (${fmt(during.length)} lookups)`,
        value: quantile(during, 0.5),
        unit: 'ms',
        baseline: 'p50 with no compaction (1,000 lookups)',
        baselineValue: quantile(idle, 0.5),
      },
      {
        bench: '4 compaction',
        case: '1-ID getData p99 while it runs',
        value: quantile(during, 0.99),
        unit: 'ms',
        baseline: 'p99 with no compaction',
        baselineValue: quantile(idle, 0.99),
        note: `max ${Math.max(...during).toFixed(0)} ms`,
      },
    ];
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
