/**
 * 5. Upsert of 10,000 changed rows into a table of BENCH_ROWS rows: (a) `getData` of 10,000
 * cached IDs just invalidated (tombstones), refetched through the 5 ms upstream — until the call
 * returns (visible to the process) and, with `durable: true`, until flushed; (b) the store's own
 * write of 10,000 changed rows — until `write` resolves (visible) and until `flush` (on disk).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  median,
  movieRow,
  sampleIds,
  slowFetcher,
  TABLE,
  timed,
} from './common.js';

const N = 10_000;

export async function benchUpsert(env: BenchEnv): Promise<Line[]> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-upsert-'));
  try {
    await buildTable(cacheDir, TABLE, env.rows, limits());
    const cache = createCache({ cacheDir, tables: { [TABLE]: { columns: { ...COLUMNS } } } });
    await cache.getData(TABLE, sampleIds(2_000, env.rows, 1), ALL_COLUMNS);
    const reps = Math.max(3, Math.ceil(env.reps / 3));
    const visible: number[] = [];
    const durable: number[] = [];
    const upstream: number[] = [];
    let seed = 500;
    for (let r = 0; r < reps; r++) {
      for (const mode of ['visible', 'durable'] as const) {
        const ids = sampleIds(N, env.rows, seed++);
        await cache.invalidate(TABLE, ids);
        const calls = { n: 0 };
        const fetcher = slowFetcher(seed, calls);
        const t = await timed(() =>
          cache.getData(TABLE, ids, ALL_COLUMNS, { fetcher, durable: mode === 'durable' }),
        );
        if (t.value.getColumn('title').get(0) !== movieRow(ids[0]!, ['title'], seed)['title'])
          throw new Error('upsert not visible');
        (mode === 'visible' ? visible : durable).push(t.ms);
        if (mode === 'visible') {
          // The upstream alone for the same plan: as many sequential 5 ms calls.
          const ctx = { table: TABLE, signal: new AbortController().signal, batch: 1, attempt: 1 };
          const size = Math.ceil(N / calls.n);
          upstream.push(
            (
              await timed(async () => {
                for (let i = 0; i < N; i += size) await fetcher(ids.slice(i, i + size), ALL_COLUMNS, ctx);
              })
            ).ms,
          );
        }
      }
    }
    await cache.close();
    // (b) Changed rows written straight into a store (what the engine does per fetched batch).
    const store = new CacheStore(cacheDir, limits()).table(TABLE, () => ({
      notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
    }));
    const writeMs: number[] = [];
    const flushMs: number[] = [];
    for (let r = 0; r < reps; r++) {
      const ids = sampleIds(N, env.rows, 900 + r);
      const rows = ids.map((id) => movieRow(id, ALL_COLUMNS, 900 + r));
      const t0 = performance.now();
      await store.write({ rows, columns: ALL_COLUMNS, notFound: [], fetchedAt: Date.now() });
      writeMs.push(performance.now() - t0);
      await store.flush();
      flushMs.push(performance.now() - t0);
    }
    await store.close();
    log(
      `upsert: getData ${median(visible).toFixed(0)} ms, durable ${median(durable).toFixed(0)} ms, upstream ${median(upstream).toFixed(0)} ms; write ${median(writeMs).toFixed(0)} ms, flushed ${median(flushMs).toFixed(0)} ms`,
    );
    const name = `${fmt(N)} changed rows into ${fmt(env.rows)} rows`;
    return [
      {
        bench: '5 upsert',
        case: `${name}: invalidate + getData, until visible`,
        value: median(visible),
        unit: 'ms',
        baseline: 'upstream alone, same batches (5 ms each)',
        baselineValue: median(upstream),
        note: `${reps} runs`,
      },
      {
        bench: '5 upsert',
        case: `${name}: invalidate + getData durable, until flushed`,
        value: median(durable),
        unit: 'ms',
        baseline: 'upstream alone, same batches (5 ms each)',
        baselineValue: median(upstream),
      },
      { bench: '5 upsert', case: `${name}: store.write, until visible`, value: median(writeMs), unit: 'ms' },
      {
        bench: '5 upsert',
        case: `${name}: store.write + flush, until flushed`,
        value: median(flushMs),
        unit: 'ms',
      },
    ];
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
