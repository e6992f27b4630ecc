/**
 * Builds a cached `movies` table of N rows fast, through the store's own part writer and commit:
 * rows are placed into hash slots deep enough that no slot exceeds `maxPartRows` (what a fill
 * followed by compaction ends with), each slot is written by `writeSplit` (which splits further
 * if a part is still too large) and one version naming the parts is committed. No delta, no
 * write buffer: the fastest honest way to a table of 5,000,000 rows. Each slot is built alone,
 * so memory stays at about one part.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { dtypeOf, logicalOf } from '../../src/cache/column-types.js';
import { commitVersion } from '../../src/cache/commit.js';
import { type TableSchema, tsCol } from '../../src/cache/frames.js';
import { hashId, slotMask } from '../../src/cache/hash.js';
import type { PartEntry } from '../../src/cache/manifest.js';
import { PartMemory } from '../../src/cache/part-io.js';
import { writeSplit } from '../../src/cache/part-writer.js';
import type { StoreLimits } from '../../src/config/types.js';
import { COLUMNS, log, movieValues } from './common.js';

export const SCHEMA: TableSchema = Object.fromEntries(
  Object.entries(COLUMNS).map(([c, t]) => [c, logicalOf(t)]),
);

export async function buildTable(
  cacheDir: string,
  table: string,
  rows: number,
  limits: StoreLimits,
): Promise<{ parts: number; ms: number }> {
  const t0 = performance.now();
  const dir = path.join(cacheDir, table);
  await mkdir(dir, { recursive: true });
  let depth = 0;
  while (rows / 2 ** depth > limits.maxPartRows) depth++;
  const mask = slotMask(depth);
  // A throwaway budget: the bench's engine loads the parts itself, as a server would.
  const memory = new PartMemory(0);
  const at = Date.now() - 60_000;
  const parts: PartEntry[] = [];
  for (let key = 0; key < 2 ** depth; key++) {
    const ids: string[] = [];
    const cols: Record<string, unknown[]> = Object.fromEntries(Object.keys(SCHEMA).map((c) => [c, []]));
    for (let n = 1; n <= rows; n++) {
      const id = String(n);
      if (depth > 0 && (hashId(id) & mask) >>> 0 !== key) continue;
      ids.push(id);
      const v = movieValues(n);
      for (const c of Object.keys(SCHEMA)) {
        const x = v[c];
        cols[c]!.push(SCHEMA[c] === 'json' ? JSON.stringify(x) : x);
      }
    }
    const stamps = new Float64Array(ids.length).fill(at);
    const df = pl.DataFrame([
      pl.Series('id', ids, pl.String),
      ...Object.keys(SCHEMA).map((c) => pl.Series(c, cols[c]!, dtypeOf(SCHEMA[c]!))),
      ...Object.keys(SCHEMA).map((c) => pl.Series(tsCol(c), stamps, pl.Float64)),
    ]);
    parts.push(...(await writeSplit(dir, df, { depth, key }, limits, memory, false)));
  }
  await commitVersion(dir, table, (latest) => ({
    ...latest,
    schema: SCHEMA,
    parts,
    deltas: [],
    notFound: null,
  }));
  const ms = performance.now() - t0;
  log(`built ${rows} rows in ${parts.length} part(s) in ${(ms / 1000).toFixed(1)} s`);
  return { parts: parts.length, ms };
}
