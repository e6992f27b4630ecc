import path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import type { StoreLookup } from '../../src/cache/lookup.js';
import type { RowPolicy } from '../../src/cache/overlay.js';
import { PartMemory } from '../../src/cache/part-io.js';
import { isStale, staleBounds, staleExpr } from '../../src/cache/staleness.js';
import { TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const NOW = 1_700_000_000_000;
const TTL = 60_000;

describe('the staleness rule', () => {
  const policies: Array<[string, RowPolicy]> = [
    ['with a TTL', { now: NOW, ttlMs: TTL, notFoundTtlMs: 1_000 }],
    ['without a TTL', { now: NOW, notFoundTtlMs: 1_000 }],
  ];
  const cuts = [-1, NOW - TTL - 5, NOW - TTL, NOW - 10];
  // Every edge: the cut and the TTL bound themselves, one ms and a fraction of one either side.
  const stamps: Array<number | null> = [null, -1, 0, NOW + 1, NOW];
  for (const edge of [NOW - TTL, ...cuts]) stamps.push(edge - 1, edge - 0.5, edge, edge + 0.5, edge + 1);

  it.each(policies)('JS and polars agree at every edge (%s)', async (_name, policy) => {
    // Two stamp columns through one expression, as the large lookup path evaluates it.
    const at = pl.DataFrame([
      pl.Series('at', stamps, pl.Float64),
      pl.Series('at2', stamps.toReversed(), pl.Float64),
    ]);
    for (const cut of cuts) {
      const b = staleBounds(cut, policy);
      const frame = await at
        .lazy()
        .select(staleExpr(pl.col(['at', 'at2']), b))
        .collect();
      expect(frame.getColumn('at').toArray()).toEqual(stamps.map((s) => isStale(s, b)));
      expect(frame.getColumn('at2').toArray()).toEqual(stamps.toReversed().map((s) => isStale(s, b)));
    }
  });

  it('hides stamps at or before the cut, expires those before now - ttl, keeps the bound itself', () => {
    const b = staleBounds(NOW - 10, { now: NOW, ttlMs: TTL, notFoundTtlMs: 1_000 });
    expect(isStale(NOW - 10, b)).toBe(true);
    expect(isStale(NOW - 9, b)).toBe(false);
    expect(isStale(null, b)).toBe(true);
    const base = staleBounds(-1, { now: NOW, ttlMs: TTL, notFoundTtlMs: 1_000 });
    expect(isStale(NOW - TTL - 1, base)).toBe(true);
    expect(isStale(NOW - TTL, base)).toBe(false);
  });
});

describe('both lookup paths agree at the TTL edges', () => {
  const open = (dir: string, small: number): TableStore =>
    new TableStore({
      dir: path.join(dir, 't'),
      table: 't',
      limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000 },
      memory: new PartMemory(64 * 1024 * 1024),
      ttlMs: TTL,
      notFoundTtlMs: 60_000,
      smallLookupMax: small,
    });
  const missingOf = (res: StoreLookup): Record<string, string[]> =>
    Object.fromEntries([...res.missing].map(([id, cols]) => [id, [...cols].sort()]));

  it('in JS over the part index, in polars, and merged with delta rows', async () => {
    const dir = await tempDir();
    const base = Date.now();
    const writer = open(dir, 2_000);
    const ids = ['a', 'b', 'c', 'd'];
    // `w` is fresh everywhere (so compaction keeps every row); `v` sits on the TTL bound.
    await writer.write({
      rows: ids.map((id) => ({ id, w: `w${id}` })),
      columns: ['w'],
      notFound: [],
      fetchedAt: base,
    });
    const vAt: Record<string, number> = { a: base - TTL - 1, b: base - TTL, c: base - TTL + 1 };
    for (const [id, at] of Object.entries(vAt))
      await writer.write({ rows: [{ id, v: `v${id}` }], columns: ['v'], notFound: [], fetchedAt: at });
    await writer.flush();
    const expected = (now: number): Record<string, string[]> => {
      const out: Record<string, string[]> = { d: ['v'] };
      for (const [id, at] of Object.entries(vAt)) if (at < now - TTL) out[id] = ['v'];
      return out;
    };
    const answers = async (): Promise<Array<Record<string, string[]>>> => {
      const out: Array<Record<string, string[]>> = [];
      for (const small of [2_000, 0])
        for (const now of [base, base + 1])
          out.push(missingOf(await open(dir, small).lookup(ids, ['v', 'w'], now)));
      return out;
    };
    const want = [expected(base), expected(base + 1), expected(base), expected(base + 1)];
    expect(want[0]).toEqual({ a: ['v'], d: ['v'] });
    expect(want[1]).toEqual({ a: ['v'], b: ['v'], d: ['v'] });
    // Rows pending in deltas (merged in JS), then the same rows compacted into a base part.
    expect(await answers()).toEqual(want);
    await writer.compact();
    expect(await answers()).toEqual(want);
  });
});
