/**
 * 1. Miss latency against table size: a cached table of N rows, then `getData` of 1 and of 100
 * new IDs (all 7 columns) through a fetcher answering in a fixed 5 ms, beside the fetcher's own
 * time. The parts are loaded by a warm-up lookup first (a running server has them in memory);
 * flushes and their commits run in the background as they would in a server.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Manifest } from '../../src/cache/manifest.js';
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
  median,
  peakRssMb,
  sampleIds,
  slowFetcher,
  TABLE,
  timed,
  UPSTREAM_MS,
} from './common.js';

export async function benchMiss(env: BenchEnv, rows: number): Promise<Line[]> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-miss-'));
  try {
    const built = await buildTable(cacheDir, TABLE, rows, limits());
    const cache = createCache({ cacheDir, tables: { [TABLE]: { columns: { ...COLUMNS } } } });
    const fetcher = slowFetcher();
    // Loads every part and its ID index, as a server that has served reads holds them.
    const warm = await timed(() => cache.getData(TABLE, sampleIds(2_000, rows, 1), ALL_COLUMNS));
    log(`miss ${fmt(rows)}: first lookup (parts loaded) ${warm.ms.toFixed(0)} ms`);
    let next = rows + 1;
    const newIds = (n: number): string[] => Array.from({ length: n }, () => String(next++));
    // A few unmeasured misses: the first fetch of a process pays for module and JIT warm-up.
    for (let i = 0; i < 3; i++) await cache.getData(TABLE, newIds(1), ALL_COLUMNS, { fetcher });
    const one: number[] = [];
    const hundred: number[] = [];
    const up1: number[] = [];
    const up100: number[] = [];
    const reps = env.reps * 4;
    for (let i = 0; i < reps; i++) {
      one.push((await timed(() => cache.getData(TABLE, newIds(1), ALL_COLUMNS, { fetcher }))).ms);
      hundred.push((await timed(() => cache.getData(TABLE, newIds(100), ALL_COLUMNS, { fetcher }))).ms);
      const ctx = { table: TABLE, signal: new AbortController().signal, batch: 1, attempt: 1 };
      up1.push((await timed(() => fetcher(newIds(1), ALL_COLUMNS, ctx))).ms);
      up100.push((await timed(() => fetcher(newIds(100), ALL_COLUMNS, ctx))).ms);
    }
    await cache.close();
    const m = JSON.parse(await readFile(path.join(cacheDir, TABLE, 'manifest.json'), 'utf8')) as Manifest;
    const note = `${built.parts} part(s); ${reps} misses each; after: ${m.deltas.length} deltas, ${m.parts.length} parts; peak RSS ${peakRssMb().toFixed(0)} MB`;
    const m1 = median(one);
    const u1 = median(up1);
    log(
      `miss ${fmt(rows)}: 1 id ${m1.toFixed(1)} ms (upstream ${u1.toFixed(1)}), 100 ids ${median(hundred).toFixed(1)} ms`,
    );
    return [
      {
        bench: '1 miss',
        case: `${fmt(rows)} rows: miss of 1 new ID`,
        value: m1,
        unit: 'ms',
        baseline: `upstream alone (${UPSTREAM_MS} ms fetcher)`,
        baselineValue: u1,
        goal: rows === 1_000_000 ? '≤ upstream + 10 ms' : undefined,
        met: rows === 1_000_000 ? m1 <= u1 + 10 : undefined,
        note,
      },
      {
        bench: '1 miss',
        case: `${fmt(rows)} rows: miss of 100 new IDs`,
        value: median(hundred),
        unit: 'ms',
        baseline: `upstream alone (${UPSTREAM_MS} ms fetcher)`,
        baselineValue: median(up100),
      },
    ];
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
