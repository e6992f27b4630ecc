/**
 * What a cold fill holds, batch by batch: one `warm` of N IDs from the PostgreSQL bench table
 * (`npm run bench -- fill prepare` creates it), printing every 5th batch the heap in use after a
 * forced GC (the live JS state) and the RSS, then the peaks. Run with `--expose-gc` (the npm
 * script does); set MALLOC_ARENA_MAX=2 in the environment to see the allocator's share.
 *
 *   FILL_IDS=1000000 npm run bench:fill-heap
 *   FILL_IDS=3000000 MALLOC_ARENA_MAX=2 npm run bench:fill-heap
 *   FILL_GC=0 npm run bench:fill-heap        time and peak RSS of an ordinary fill (no forced GC)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCache } from '../src/engine/cache.js';
import type { FetchProgress } from '../src/engine/types.js';
import { TABLE } from './engine/common.js';
import { fillConfig } from './engine/fill.js';

const N = Number(process.env['FILL_IDS'] ?? 1_000_000);
const EVERY = 5;
const mb = (n: number): number => Math.round(n / 2 ** 20);
// FILL_GC=0: no forced GC (the heap figures are then heap in use, garbage included); the run's
// time and peak RSS are then those of an ordinary fill.
const forceGc = process.env['FILL_GC'] !== '0';
const gc = (globalThis as { gc?: () => void }).gc;
if (forceGc && !gc) throw new Error('run with node --expose-gc (npm run bench:fill-heap does)');

const dir = mkdtempSync(path.join(tmpdir(), 'cachegate-fill-heap-'));
const cache = createCache(
  fillConfig({ databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' }, dir),
);
const peak = { rss: 0, heap: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heap = Math.max(peak.heap, m.heapUsed);
}, 50);
const ids = Array.from({ length: N }, (_, i) => String(i + 1));
const t0 = performance.now();
let printed = -1;
const final = await new Promise<FetchProgress>((resolve) => {
  let jobId: string | undefined;
  const early: FetchProgress[] = [];
  const on = (e: FetchProgress): void => {
    if (e.jobId !== jobId) return;
    if (e.batchesDone % EVERY === 0 && e.batchesDone !== printed) {
      printed = e.batchesDone;
      if (forceGc) gc?.();
      const m = process.memoryUsage();
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `batch ${e.batchesDone}: ${s} s, ${forceGc ? 'live heap' : 'heap in use'} ${mb(m.heapUsed)} MB, RSS ${mb(m.rss)} MB`,
      );
    }
    if (e.status !== 'RUNNING') resolve(e);
  };
  cache.jobs.subscribe((e) => (jobId === undefined ? early.push(e) : on(e)));
  jobId = cache.warm(TABLE, ids).jobId;
  for (const e of early) on(e);
});
const jobS = (performance.now() - t0) / 1000;
await cache.close();
clearInterval(sampler);
rmSync(dir, { recursive: true, force: true });
console.log(
  `${final.status}: ${final.rowsFetched} rows, job ${jobS.toFixed(1)} s; peak RSS ${mb(peak.rss)} MB sampled, ${mb(process.resourceUsage().maxRSS * 1024)} MB maxRSS, peak heap in use ${mb(peak.heap)} MB (MALLOC_ARENA_MAX=${process.env['MALLOC_ARENA_MAX'] ?? 'unset'}, forced GC ${forceGc ? 'every 5 batches' : 'off'})`,
);
