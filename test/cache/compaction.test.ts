/**
 * Compaction merges in polars (stamp-merge.ts) what lookups merge in JS (overlay-merge.ts): the same
 * rows must give the same answers before and after it, whatever mix of updates, ties, tombstones,
 * not-found answers and column types the deltas hold.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/cache/manifest.js';
import { PartMemory } from '../../src/cache/part-io.js';
import { type StoreLookup, TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE, type StoreLimits } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const COLUMNS = ['s', 'n', 'big', 'f', 'ok', 'doc', 'at', 'day', 'empty'];

function openStore(dir: string, limits: Partial<StoreLimits> = {}, ttlMs?: number): TableStore {
  return new TableStore({
    dir: path.join(dir, 't'),
    table: 't',
    limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000, compactDeltas: 10_000, ...limits },
    memory: new PartMemory(64 * 1024 * 1024),
    ttlMs,
    notFoundTtlMs: 5_000,
    declared: {
      s: { type: 'string', idLike: false },
      n: { type: 'int', idLike: false },
      big: { type: 'bigint', idLike: false },
      f: { type: 'float', idLike: false },
      ok: { type: 'boolean', idLike: false },
      doc: { type: 'json', idLike: false },
      at: { type: 'datetime', idLike: false },
      day: { type: 'date', idLike: false },
    },
  });
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function value(c: string, k: number): unknown {
  switch (c) {
    case 's':
      return `s${k}`;
    case 'n':
      return k;
    case 'big':
      return String(9_007_199_254_740_993n + BigInt(k));
    case 'f':
      return k / 7;
    case 'ok':
      return k % 2 === 0;
    case 'doc':
      return { k, list: [k, String(k)] };
    case 'at':
      return new Date(Date.UTC(2026, 0, 1) + k * 1_000).toISOString();
    case 'day':
      return new Date(Date.UTC(2026, 0, 1) + (k % 300) * 86_400_000).toISOString().slice(0, 10);
    default:
      // Never a value: a column fetched as upstream nulls only.
      return null;
  }
}

/**
 * Everything a lookup answers, in a form `toEqual` compares. With a TTL, a row whose every
 * column is stale is left out of the records: compaction drops such rows (they would be fetched
 * whole again), while a lookup before it still returns their stale values beside `missing`.
 */
function answer(res: StoreLookup, ttl: boolean) {
  const whole = new Set(
    [...res.missing].filter(([, cols]) => cols.length === COLUMNS.length).map(([id]) => id),
  );
  return {
    records: res
      .records()
      .filter((r) => !(ttl && whole.has(String(r['id']))))
      .sort((a, b) => String(a['id']).localeCompare(String(b['id']))),
    missing: [...res.missing].sort(([a], [b]) => a.localeCompare(b)),
    notFound: [...res.notFound].sort(),
  };
}

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as Manifest;
}

describe('compaction', () => {
  it.each([
    ['one part', 1_000_000, undefined],
    ['split parts', 120, undefined],
    ['split parts with a TTL', 120, 2_500],
  ])('answers as the pending deltas did: %s', async (_name, maxPartRows, ttlMs) => {
    const dir = await tempDir();
    const s = openStore(dir, { maxPartRows }, ttlMs);
    const rnd = random(maxPartRows + (ttlMs ?? 0));
    const ids = Array.from({ length: 600 }, (_, i) => `id${i}`);
    const pick = (n: number) => Array.from({ length: n }, () => ids[Math.floor(rnd() * ids.length)]!);
    // A base of half the IDs, with every column.
    await s.write({
      rows: ids
        .slice(0, 300)
        .map((id, k) => ({ id, ...Object.fromEntries(COLUMNS.map((c) => [c, value(c, k)])) })),
      columns: COLUMNS,
      notFound: ids.slice(550, 560),
      fetchedAt: 1_000,
    });
    await s.compact(1_000);
    let k = 1_000;
    for (let d = 0; d < 30; d++) {
      // Stamps repeat across deltas (ties go to the later delta), and some land before older ones.
      const at = 1_000 + Math.floor(rnd() * 30) * 100;
      const kind = rnd();
      if (kind < 0.15) {
        await s.invalidate([...new Set(pick(15))]);
        continue;
      }
      const columns = COLUMNS.filter(() => rnd() < 0.5);
      const chosen = [...new Set(pick(40))];
      const notFound = kind < 0.35 ? chosen.splice(0, 8) : [];
      await s.write({
        rows: chosen.map((id) => ({ id, ...Object.fromEntries(columns.map((c) => [c, value(c, k++)])) })),
        columns,
        notFound,
        fetchedAt: at,
      });
      await s.flush();
    }
    expect((await manifest(dir)).deltas.length).toBeGreaterThan(20);
    const now = Date.now();
    const checkAt = [4_000, 6_500, now];
    const before = [];
    const ttl = ttlMs !== undefined;
    for (const t of checkAt)
      before.push(answer(await openStore(dir, {}, ttlMs).lookup(ids, COLUMNS, t), ttl));
    // The not-found TTL is 5 s and the TTL 2.5 s: compacting at 4,000 keeps some of each, drops others.
    await s.compact(4_000);
    const m = await manifest(dir);
    expect(m.deltas).toEqual([]);
    if (maxPartRows < 1_000) expect(m.parts.length).toBeGreaterThan(1);
    const after = [];
    for (const t of checkAt) after.push(answer(await openStore(dir, {}, ttlMs).lookup(ids, COLUMNS, t), ttl));
    expect(after).toEqual(before);
    expect(before[0]!.records.length).toBeGreaterThan(100);
    expect(before[0]!.notFound.length).toBeGreaterThan(5);
  });

  it('merges the deltas its version names, not those a flush commits meanwhile', async () => {
    const dir = await tempDir();
    let during: (() => Promise<void>) | undefined;
    const s = new TableStore({
      dir: path.join(dir, 't'),
      table: 't',
      limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000, compactDeltas: 10_000 },
      memory: new PartMemory(64 * 1024 * 1024),
      notFoundTtlMs: 5_000,
      beforeCommit: async () => {
        const run = during;
        during = undefined;
        await run?.();
      },
    });
    await s.write({ rows: [{ id: 'a', v: 'base' }], columns: ['v'], notFound: [], fetchedAt: 1_000 });
    await s.flush();
    const other = openStore(dir);
    // A second writer commits a delta while the compaction is about to commit.
    during = async () => {
      await other.write({ rows: [{ id: 'b', v: 'late' }], columns: ['v'], notFound: [], fetchedAt: 2_000 });
      await other.flush();
    };
    await s.compact(3_000);
    const m = await manifest(dir);
    expect(m.parts.reduce((n, p) => n + p.rows, 0)).toBe(1);
    expect(m.deltas).toHaveLength(1);
    const res = await openStore(dir).lookup(['a', 'b'], ['v'], 3_000);
    expect(res.records()).toEqual([
      { id: 'a', v: 'base' },
      { id: 'b', v: 'late' },
    ]);
  });
});
