/**
 * Large lookups of a table whose parts do not all fit the memory budget: the parts not held are
 * scanned, not read whole for every lookup, and answer the same.
 */
import pl from 'nodejs-polars';
import { describe, expect, it, vi } from 'vitest';
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
    const scans = vi.spyOn(pl, 'scanParquet');
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
    // Parts that do not fit were scanned, in every round (not read whole into memory and dropped).
    const partScans = scans.mock.calls.filter(([file]) => !String(file).includes('delta'));
    expect(partScans.length).toBeGreaterThanOrEqual(3);
    scans.mockRestore();
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
    const scans = vi.spyOn(pl, 'scanParquet');
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
    expect(scans.mock.calls.length).toBeGreaterThan(0);
    scans.mockRestore();
    await scanning.close();
    await holding.close();
  });
});
