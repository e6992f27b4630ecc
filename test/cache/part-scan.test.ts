/**
 * Large lookups of parts not held in memory: a part holding none of the IDs asked is not read at
 * all (its ID column tells); one that does not fit the budget is scanned, not read whole for
 * every lookup, and answers the same. Compaction holds the parts that replace held ones, and only
 * those.
 */
import pl from 'nodejs-polars';
import { describe, expect, it, vi } from 'vitest';
import { PartMemory } from '../../src/cache/part-io.js';
import { CacheStore } from '../../src/cache/store.js';
import { DEFAULT_NOT_FOUND_TTL_MS, DEFAULT_STORE } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('parts over the memory budget', () => {
  it('answer large lookups from a scan of their files, with columns added since typed as nulls', async () => {
    const dir = await tempDir();
    const limits = {
      ...DEFAULT_STORE,
      maxPartRows: 5_000,
      memoryBudgetBytes: 600_000,
      compactDeltaRows: 1_000_000,
    };
    const store = new CacheStore(dir, limits).table('t', () => ({ notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS }));
    const ids = Array.from({ length: 20_000 }, (_, i) => `id-${i}`);
    await store.write({
      rows: ids.map((id, i) => ({ id, title: `title of ${id} `.repeat(3), year: 1900 + (i % 100) })),
      columns: ['title', 'year'],
      notFound: [],
      fetchedAt: Date.now(),
    });
    await store.compact();
    const m = await store.current();
    // Several parts, more than the budget holds.
    expect(m.parts.length).toBeGreaterThan(2);
    // A column added after the parts were written: only the new rows have it.
    await store.write({
      rows: [{ id: 'new', rating: 7.5 }],
      columns: ['rating'],
      notFound: [],
      fetchedAt: Date.now(),
    });
    await store.flush();
    const wholeReads = vi.spyOn(PartMemory.prototype, 'set');
    for (let round = 0; round < 3; round++) {
      const res = await store.lookup([...ids.slice(0, 10_000), 'new'], ['title', 'year', 'rating']);
      const recs = res.records();
      expect(recs).toHaveLength(10_001);
      const byId = new Map(recs.map((r) => [r['id'] as string, r]));
      expect(byId.get('id-42')).toEqual({
        id: 'id-42',
        title: 'title of id-42 '.repeat(3),
        year: 1942,
        rating: null,
      });
      expect(byId.get('new')?.['rating']).toBe(7.5);
      // Rows of the parts have no rating: missing that column only; 'new' has no title and year.
      expect(res.missing.get('id-42')).toEqual(['rating']);
      expect(res.missing.get('new')).toEqual(['title', 'year']);
    }
    // Each part was read whole at most once (to learn its size): after that, a part that does
    // not fit is scanned, not read whole again in every round and dropped.
    expect(readsPerFile(wholeReads.mock.calls).every((n) => n === 1)).toBe(true);
    wholeReads.mockRestore();
    await store.close();
  });

  it('a large lookup of IDs no part holds reads no part; a cold fill’s parts are not held, held ones stay held', async () => {
    const dir = await tempDir();
    const limits = { ...DEFAULT_STORE, maxPartRows: 5_000, compactDeltaRows: 1_000_000 };
    const store = new CacheStore(dir, limits).table('t', () => ({ notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS }));
    const held = vi.spyOn(PartMemory.prototype, 'set');
    const write = (ids: readonly string[], title: string) =>
      store.write({
        rows: ids.map((id) => ({ id, title: `${title} ${id}` })),
        columns: ['title'],
        notFound: [],
        fetchedAt: Date.now(),
      });
    const ids = Array.from({ length: 20_000 }, (_, i) => `id-${i}`);
    await write(ids, 'first');
    await store.compact();
    const m = await store.current();
    expect(m.parts.length).toBeGreaterThan(2);
    // The first parts replace none: not held, only their ID columns kept.
    expect(held).not.toHaveBeenCalled();
    const scans = vi.spyOn(pl, 'scanParquet');
    const fresh = Array.from({ length: 10_000 }, (_, i) => `new-${i}`);
    const none = await store.lookup(fresh, ['title']);
    expect(none.records()).toEqual([]);
    expect(none.missing.size).toBe(10_000);
    expect(scans).not.toHaveBeenCalled();
    expect(held).not.toHaveBeenCalled();
    // One ID a part holds: that part alone is read (it fits the budget: held from now on).
    const one = await store.lookup([...fresh, 'id-77'], ['title']);
    expect(one.records()).toEqual([{ id: 'id-77', title: 'first id-77' }]);
    expect(scans).toHaveBeenCalledTimes(1);
    scans.mockRestore();
    expect(held).toHaveBeenCalledTimes(1);
    const hot = m.parts.find((p) => p.file === held.mock.calls[0]![0])!;
    // The compaction that replaces the part held holds the new one; the others stay on disk.
    await write(ids, 'second');
    held.mockClear();
    await store.compact();
    const after = await store.current();
    // (A background compaction may have run first: each one holds only the hot slot's part.)
    const heldFiles = held.mock.calls.map(([file]) => file);
    expect(heldFiles.length).toBeGreaterThan(0);
    expect(heldFiles.every((f) => f.startsWith(`part-${hot.depth}-${hot.key}-`))).toBe(true);
    expect(after.parts.filter((p) => heldFiles.includes(p.file))).toHaveLength(1);
    // Counting rows with pending ones (new IDs, and IDs the base holds) builds no part's index.
    const indexed = vi.spyOn(PartMemory.prototype, 'index');
    const extra = Array.from({ length: 3_000 }, (_, i) => `extra-${i}`);
    await write([...extra, ...ids.slice(0, 3_000)], 'pending');
    expect((await store.stats()).rows).toBe(23_000);
    expect(indexed).not.toHaveBeenCalled();
    indexed.mockRestore();
    expect((await store.lookup(['id-77', 'id-78'], ['title'])).records()).toEqual([
      { id: 'id-77', title: 'pending id-77' },
      { id: 'id-78', title: 'pending id-78' },
    ]);
    held.mockRestore();
    await store.close();
  });

  it('small lookups scan it too, and answer as the in-memory index does (exact BigInt, stamps, missing columns)', async () => {
    const dir = await tempDir();
    const limits = { ...DEFAULT_STORE, maxPartRows: 5_000, compactDeltaRows: 1_000_000 };
    const policy = () => ({
      notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
      declared: { votes: { type: 'bigint' as const } },
    });
    const writer = new CacheStore(dir, limits).table('t', policy);
    const ids = Array.from({ length: 12_000 }, (_, i) => `id-${i}`);
    await writer.write({
      rows: ids.map((id, i) => ({
        id,
        title: `title of ${id}`,
        votes: i === 7 ? '9007199254740993' : String(i),
      })),
      columns: ['title', 'votes'],
      notFound: [],
      fetchedAt: Date.now(),
    });
    await writer.compact();
    await writer.close();
    const scanning = new CacheStore(dir, { ...limits, memoryBudgetBytes: 100_000 }).table('t', policy);
    const holding = new CacheStore(dir, limits).table('t', policy);
    const wholeReads = vi.spyOn(PartMemory.prototype, 'set');
    const some = ['id-7', 'id-3', 'nope', 'id-11999', ...ids.slice(100, 600)];
    for (const cols of [
      ['title', 'votes'],
      ['votes', 'rating'],
    ]) {
      const a = await scanning.lookup(some, cols);
      const b = await holding.lookup(some, cols);
      expect(a.records()).toEqual(b.records());
      expect([...a.missing]).toEqual([...b.missing]);
      expect(a.records().find((r) => r['id'] === 'id-7')?.['votes']).toBe('9007199254740993');
    }
    // IDs with pending rows (overlaid) take their base row from the scan too, merged by stamp.
    await scanning.write({
      rows: [{ id: 'id-7', title: 'newer' }],
      columns: ['title'],
      notFound: [],
      fetchedAt: Date.now() + 1_000,
    });
    for (let round = 0; round < 2; round++) {
      const merged = await scanning.lookup(['id-7', 'id-3'], ['title', 'votes']);
      expect(merged.records()).toEqual([
        { id: 'id-3', title: 'title of id-3', votes: '3' },
        { id: 'id-7', title: 'newer', votes: '9007199254740993' },
      ]);
    }
    // The scanning store read each part whole once (to learn its size), then scanned it: without
    // the scan, every small lookup read the parts it touched whole again.
    const scanningReads = wholeReads.mock.calls.filter(
      (_, i) => budgetOf(wholeReads.mock.contexts[i]) === 100_000,
    );
    expect(scanningReads.length).toBeGreaterThan(0);
    expect(readsPerFile(scanningReads).every((n) => n === 1)).toBe(true);
    wholeReads.mockRestore();
    await scanning.close();
    await holding.close();
  });
});

/** How many times each file was read whole (PartMemory.set calls), per file. */
function readsPerFile(calls: ReadonlyArray<readonly [string, ...unknown[]]>): number[] {
  const n = new Map<string, number>();
  for (const [file] of calls) n.set(file, (n.get(file) ?? 0) + 1);
  return [...n.values()];
}

/** The budget of the PartMemory a call was made on (private, read here to tell the stores apart). */
const budgetOf = (memory: unknown): number => (memory as { budgetBytes: number }).budgetBytes;
