/**
 * Where a warm lookup's time goes with 0 and 100 pending deltas (run with `node --cpu-prof`):
 * `npx tsx bench/profile-lookup.ts [rows]`. Times getData against its parts: the store's lookup,
 * the found rows as a frame, and `buildResultFrame` (ID order).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildResultFrame } from '../src/cache/result-frame.js';
import { CacheStore } from '../src/cache/store.js';
import { DEFAULT_NOT_FOUND_TTL_MS } from '../src/config/types.js';
import { createCache } from '../src/engine/cache.js';
import { buildTable } from './engine/build-table.js';
import {
  ALL_COLUMNS,
  COLUMNS,
  limits,
  medianOf,
  movieRow,
  sampleIds,
  TABLE,
  THREE,
} from './engine/common.js';

const rows = Number(process.argv[2] ?? 100_000);
const HOLD = { compactDeltas: 10_000, compactDeltaRows: 100_000_000 };
const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-prof-'));
await buildTable(cacheDir, TABLE, rows, limits());
const opts = () => ({ notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS });
const cache = createCache({ cacheDir, tables: { [TABLE]: { columns: { ...COLUMNS } } }, store: HOLD });
const reader = new CacheStore(cacheDir, limits(HOLD)).table(TABLE, opts);
const writer = new CacheStore(cacheDir, limits(HOLD)).table(TABLE, opts);
for (const deltas of [0, 100]) {
  for (let d = 0; d < deltas; d++) {
    const ids = sampleIds(Math.min(1_000, rows / 200), rows, 10_000 + d);
    await writer.write({
      rows: ids.map((id) => movieRow(id, ALL_COLUMNS, d + 1)),
      columns: ALL_COLUMNS,
      notFound: [],
      fetchedAt: Date.now(),
    });
    await writer.flush();
  }
  for (const n of [1, 1_000, 100_000].filter((k) => k <= rows)) {
    const ids = sampleIds(n, rows, n);
    const g = await medianOf(20, () => cache.getData(TABLE, ids, THREE));
    const l = await medianOf(20, () => reader.lookup(ids, THREE));
    const f = await medianOf(20, async () => (await reader.lookup(ids, THREE)).frame());
    const found = (await reader.lookup(ids, THREE)).frame();
    const outputs = THREE.map((c) => ({ name: c, column: c }));
    const b = await medianOf(20, async () => buildResultFrame(found, ids, outputs));
    console.log(
      `${deltas} deltas, ${n} ids: getData ${g.toFixed(2)} ms, store.lookup ${l.toFixed(2)} ms, lookup+frame ${f.toFixed(2)} ms, buildResultFrame ${b.toFixed(2)} ms`,
    );
  }
}
await cache.close();
await rm(cacheDir, { recursive: true, force: true });
process.exit(0);
