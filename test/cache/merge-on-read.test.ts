/**
 * The merge-on-read contract of one table (DESIGN §2) on real files: the write buffer, deltas,
 * base parts, and what wins between them.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { type ColumnSpec, toOutputValue } from '../../src/cache/column-types.js';
import { PartMemory } from '../../src/cache/part-io.js';
import { type BatchWrite, TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE, type StoreLimits } from '../../src/config/types.js';
import { TypeConflictError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

function openStore(
  dir: string,
  opts: {
    limits?: Partial<StoreLimits>;
    ttlMs?: number;
    notFoundTtlMs?: number;
    small?: number;
    declared?: Record<string, ColumnSpec>;
  } = {},
): TableStore {
  return new TableStore({
    dir: path.join(dir, 't'),
    table: 't',
    // Flushes only when a test asks, unless it sets a shorter interval.
    limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000, ...opts.limits },
    memory: new PartMemory(64 * 1024 * 1024),
    ttlMs: opts.ttlMs,
    notFoundTtlMs: opts.notFoundTtlMs ?? 60_000,
    smallLookupMax: opts.small,
    declared: opts.declared,
  });
}

const batch = (
  rows: BatchWrite['rows'],
  columns: string[],
  fetchedAt: number,
  notFound: string[] = [],
): BatchWrite => ({
  rows,
  columns,
  notFound,
  fetchedAt,
});

async function files(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 't')).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.parquet'),
  );
}

function pendingDeltaRows(m: { deltas: { rows: number }[] }): number {
  return m.deltas.reduce((n, d) => n + d.rows, 0);
}

async function manifest(dir: string) {
  return JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as {
    version: number;
    parts: { file: string; rows: number }[];
    deltas: { file: string; rows: number }[];
    notFound: string | null;
  };
}

const byId = (records: Record<string, unknown>[]) =>
  Object.fromEntries(records.map((r) => [r['id'] as string, r])) as Record<string, Record<string, unknown>>;

describe.each([
  ['JS', 2_000],
  ['polars', 0],
])('merge on read (%s lookups of the base)', (_name, small) => {
  it('reads its own writes before any flush; another process sees them once flushed', async () => {
    const dir = await tempDir();
    const a = openStore(dir, { small });
    await a.write(batch([{ id: '1', v: 'one' }], ['v'], Date.now()));
    expect((await a.lookup(['1'], ['v'])).records()).toEqual([{ id: '1', v: 'one' }]);
    expect(await files(dir)).toEqual([]);
    const b = openStore(dir, { small });
    expect((await b.lookup(['1'], ['v'])).missing.get('1')).toEqual(['v']);
    await a.flush();
    expect((await manifest(dir)).deltas).toHaveLength(1);
    expect((await b.lookup(['1'], ['v'])).records()).toEqual([{ id: '1', v: 'one' }]);
  });

  it('bulk batches (frames in the buffer) read as overlay rows do: own writes, newest stamp, not-found, types, flush', async () => {
    const dir = await tempDir();
    const declared = {
      n: { type: 'int' as const, idLike: false },
      big: { type: 'bigint' as const, idLike: false },
      doc: { type: 'json' as const, idLike: false },
      day: { type: 'date' as const, idLike: false },
    };
    const open = () => openStore(dir, { small, declared });
    const a = open();
    const rows = (from: number, count: number, tag: string) =>
      Array.from({ length: count }, (_, i) => ({
        id: String(from + i),
        v: i % 10 === 0 ? null : `${tag}${from + i}`,
        n: from + i,
        big: '9007199254740993',
        doc: `{"k":${from + i}}`,
        day: '2026-11-25',
        ok: i % 2 === 0,
      }));
    const all = ['v', 'n', 'big', 'doc', 'day', 'ok'];
    // 3,000 rows and two IDs not found: a frame; then one row of it refetched later, alone.
    await a.write(batch(rows(0, 3_000, 'a'), all, 1_000, ['gone-1', 'gone-2']));
    await a.write(batch([{ id: '7', v: 'newer' }], ['v'], 2_000));
    // An older bulk answer for some of the same IDs does not win.
    await a.write(batch(rows(0, 1_500, 'old'), all, 500));
    expect(await files(dir)).toEqual([]);
    const check = async (s: TableStore) => {
      const res = await s.lookup(['7', '10', '11', '2999', 'gone-1', 'nope'], all, 3_000);
      // As the engine answers: a Date column's cell as its day (the store may hold a Date or a number).
      const records = res.records().map((r) => ({ ...r, day: toOutputValue('date', r['day']) }));
      expect(byId(records)).toEqual({
        '7': {
          id: '7',
          v: 'newer',
          n: 7,
          big: '9007199254740993',
          doc: '{"k":7}',
          day: '2026-11-25',
          ok: false,
        },
        '10': {
          id: '10',
          v: null,
          n: 10,
          big: '9007199254740993',
          doc: '{"k":10}',
          day: '2026-11-25',
          ok: true,
        },
        '11': {
          id: '11',
          v: 'a11',
          n: 11,
          big: '9007199254740993',
          doc: '{"k":11}',
          day: '2026-11-25',
          ok: false,
        },
        '2999': {
          id: '2999',
          v: 'a2999',
          n: 2999,
          big: '9007199254740993',
          doc: '{"k":2999}',
          day: '2026-11-25',
          ok: false,
        },
      });
      expect(res.notFound).toEqual(['gone-1']);
      expect([...res.missing.keys()]).toEqual(['nope']);
      expect((await s.stats()).rows).toBe(3_000);
    };
    await check(a);
    await a.flush();
    // One version, two delta files: the frames, and the overlay row.
    expect((await manifest(dir)).deltas).toHaveLength(2);
    await check(a);
    await check(open());
    await a.compact(3_000);
    await check(open());
  });

  it('bulk batches whose column was first seen as nulls only flush with the type it takes later', async () => {
    const dir = await tempDir();
    const a = openStore(dir, { small });
    const rows = (from: number, x: (i: number) => number | null) =>
      Array.from({ length: 1_000 }, (_, i) => ({ id: String(from + i), x: x(i) }));
    await a.write(
      batch(
        rows(0, () => null),
        ['x'],
        1_000,
      ),
    );
    await a.write(
      batch(
        rows(1_000, (i) => i),
        ['x'],
        1_000,
      ),
    );
    await a.flush();
    for (const s of [a, openStore(dir, { small })]) {
      expect((await s.lookup(['1', '1007'], ['x'], 2_000)).records()).toEqual([
        { id: '1', x: null },
        { id: '1007', x: 7 },
      ]);
    }
  });

  it('a second process sees the deltas another process flushed', async () => {
    const dir = await tempDir();
    await run(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'fixtures', 'churn.ts'), dir, 't', '0', '3', '100'],
      { cwd: path.resolve(here, '../..') },
    );
    const res = await openStore(dir, { small }).lookup(['0', '150', '299'], ['v', 'n']);
    expect(res.missing.size).toBe(0);
    expect(byId(res.records())).toEqual({
      '0': { id: '0', v: 'v0', n: 0 },
      '150': { id: '150', v: 'v150', n: 150 },
      '299': { id: '299', v: 'v299', n: 299 },
    });
  });

  it('the newest fetch stamp wins per column across base, deltas and the buffer', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small });
    await s.write(batch([{ id: 'a', v: 'v1', n: 1 }], ['v', 'n'], 1_000));
    await s.compact();
    expect((await manifest(dir)).parts).toHaveLength(1);
    // A refill of one column: the other keeps its base value.
    await s.write(batch([{ id: 'a', v: 'v2' }], ['v'], 2_000));
    expect((await s.lookup(['a'], ['v', 'n'], 2_500)).records()).toEqual([{ id: 'a', v: 'v2', n: 1 }]);
    await s.flush();
    // An answer fetched earlier than what is cached (a slow batch landing late) does not win.
    await s.write(batch([{ id: 'a', v: 'stale', n: 0 }], ['v', 'n'], 500));
    const fresh = openStore(dir, { small });
    for (const store of [s, fresh]) {
      expect((await store.lookup(['a'], ['v', 'n'], 2_500)).records()).toEqual([{ id: 'a', v: 'v2', n: 1 }]);
    }
    await s.compact();
    const m = await manifest(dir);
    expect(m.deltas).toEqual([]);
    const part = pl.readParquet(path.join(dir, 't', m.parts[0]!.file));
    expect(part.select('id', 'v', 'n', '_cg_t__v', '_cg_t__n').toRecords()).toEqual([
      { id: 'a', v: 'v2', n: 1, _cg_t__v: 2_000, _cg_t__n: 1_000 },
    ]);
  });

  it('keeps per-column TTL and not-found answers across deltas and compaction', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small, ttlMs: 1_000, notFoundTtlMs: 5_000 });
    await s.write(batch([{ id: 'a', v: 'x', n: 1 }], ['v', 'n'], 10_000, ['gone']));
    await s.write(batch([{ id: 'a', n: 2 }], ['n'], 10_800));
    await s.flush();
    const other = openStore(dir, { small, ttlMs: 1_000, notFoundTtlMs: 5_000 });
    const res = await other.lookup(['a', 'gone'], ['v', 'n'], 11_500);
    expect(res.notFound).toEqual(['gone']);
    // v was fetched at 10,000: past its TTL at 11,500; n was refetched at 10,800.
    expect([...res.missing]).toEqual([['a', ['v']]]);
    expect(res.records()).toEqual([{ id: 'a', v: 'x', n: 2 }]);
    // After the not-found TTL the id is asked for again.
    expect((await other.lookup(['gone'], ['v'], 15_100)).missing.get('gone')).toEqual(['v']);
    // An id that disappears upstream loses its cached row, across a compaction too.
    await s.write(batch([], ['v'], 11_000, ['a']));
    expect((await s.lookup(['a'], ['v'], 11_100)).notFound).toEqual(['a']);
    await s.compact(11_100);
    expect((await manifest(dir)).parts.reduce((n, p) => n + p.rows, 0)).toBe(0);
    expect(
      (
        await openStore(dir, { small, notFoundTtlMs: 5_000 }).lookup(['a', 'gone'], ['v'], 11_200)
      ).notFound.sort(),
    ).toEqual(['a', 'gone']);
    // It comes back when the upstream returns it again.
    await s.write(batch([{ id: 'a', v: 'back' }], ['v'], 12_000));
    expect((await s.lookup(['a'], ['v'], 12_100)).records()).toEqual([{ id: 'a', v: 'back' }]);
  });

  it('a not-found answer hides only the base values fetched before it', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small, notFoundTtlMs: 60_000 });
    await s.write(batch([{ id: 'a', v: 'kept' }], ['v'], 3_000));
    await s.write(batch([{ id: 'b', v: 'hidden' }], ['v'], 1_000));
    await s.compact(3_000);
    // A slow batch landing late: "not found" answered at 2,000, between the two fetches.
    await s.write(batch([], ['v'], 2_000, ['a', 'b']));
    await s.flush();
    for (const store of [s, openStore(dir, { small, notFoundTtlMs: 60_000 })]) {
      const res = await store.lookup(['a', 'b'], ['v'], 4_000);
      expect(res.records()).toEqual([{ id: 'a', v: 'kept' }]);
      expect(res.notFound).toEqual(['b']);
    }
  });

  it('invalidate writes tombstones that win over older rows without rewriting a part', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small });
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: String(i), v: `v${i}` }));
    await s.write(batch(rows, ['v'], Date.now() - 1_000));
    await s.compact();
    const before = await manifest(dir);
    expect(await s.invalidate(['1', '2', 'never'])).toBe(2);
    const after = await manifest(dir);
    expect(after.parts).toEqual(before.parts);
    expect(after.deltas).toHaveLength(1);
    for (const store of [s, openStore(dir, { small })]) {
      const res = await store.lookup(['1', '2', '3'], ['v']);
      expect([...res.missing.keys()].sort()).toEqual(['1', '2']);
      expect(res.records()).toEqual([{ id: '3', v: 'v3' }]);
    }
    // A fetch after the invalidate is visible again.
    await s.write(batch([{ id: '1', v: 'new' }], ['v'], Date.now() + 1));
    expect((await s.lookup(['1'], ['v'])).records()).toEqual([{ id: '1', v: 'new' }]);
    await s.compact();
    expect((await manifest(dir)).parts.reduce((n, p) => n + p.rows, 0)).toBe(9);
    // The whole table: one new version, no part rewritten, everything gone.
    expect(await s.invalidate()).toBe(9);
    const m = await manifest(dir);
    expect([m.parts, m.deltas]).toEqual([[], []]);
    expect((await openStore(dir, { small }).lookup(['3'], ['v'])).missing.get('3')).toEqual(['v']);
  });

  it('a batch with a value its column cannot hold adds nothing', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small });
    await s.write(batch([{ id: 'a', n: 1 }], ['n'], 1_000));
    await expect(
      s.write(
        batch(
          [
            { id: 'b', n: 2 },
            { id: 'c', n: 'three' },
          ],
          ['n'],
          2_000,
        ),
      ),
    ).rejects.toBeInstanceOf(TypeConflictError);
    const res = await s.lookup(['a', 'b', 'c'], ['n'], 2_500);
    expect(res.records()).toEqual([{ id: 'a', n: 1 }]);
    expect([...res.missing.keys()].sort()).toEqual(['b', 'c']);
  });

  it('answers the same with 100 pending deltas as after compacting them', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { small, limits: { compactDeltas: 1_000 } });
    const base = Array.from({ length: 3_000 }, (_, i) => ({ id: String(i), v: `b${i}`, n: i }));
    await s.write(batch(base, ['v', 'n'], 1_000));
    await s.compact();
    for (let d = 0; d < 100; d++) {
      await s.write(batch([{ id: String(d * 30), v: `d${d}` }], ['v'], 2_000 + d));
      await s.flush();
    }
    expect((await manifest(dir)).deltas).toHaveLength(100);
    const ids = Array.from({ length: 3_000 }, (_, i) => String(i));
    const pending = byId((await openStore(dir, { small }).lookup(ids, ['v', 'n'], 5_000)).records());
    await s.compact();
    expect((await manifest(dir)).deltas).toHaveLength(0);
    const compacted = byId((await openStore(dir, { small }).lookup(ids, ['v', 'n'], 5_000)).records());
    expect(pending).toEqual(compacted);
    expect(compacted['30']).toEqual({ id: '30', v: 'd1', n: 30 });
    expect(compacted['31']).toEqual({ id: '31', v: 'b31', n: 31 });
  });
});

describe('compaction', () => {
  it('merges many small deltas into one without rewriting a base part', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { limits: { compactDeltas: 4 } });
    const base = Array.from({ length: 1_000 }, (_, i) => ({ id: String(i), v: `b${i}` }));
    await s.write(batch(base, ['v'], 1_000));
    await s.compact();
    const before = await manifest(dir);
    for (let d = 0; d < 4; d++) {
      await s.write(batch([{ id: `new${d}`, v: `n${d}` }], ['v'], 2_000 + d));
      await s.flush();
    }
    await s.settled(); // the background merge the fourth delta started
    await s.close();
    const after = await manifest(dir);
    expect(after.parts).toEqual(before.parts);
    expect(after.deltas).toHaveLength(1);
    expect(after.deltas[0]!.rows).toBe(4);
    expect((await files(dir)).sort()).toEqual([...after.parts, ...after.deltas].map((f) => f.file).sort());
    const res = await openStore(dir).lookup(['new0', 'new3', '5'], ['v']);
    expect(res.records()).toEqual([
      { id: '5', v: 'b5' },
      { id: 'new0', v: 'n0' },
      { id: 'new3', v: 'n3' },
    ]);
  });
});

describe('compaction backpressure', () => {
  it('bulk writes wait while a compaction lags: committed deltas stay near twice its threshold', async () => {
    const dir = await tempDir();
    const threshold = 5_000;
    // A small write buffer: rows waiting in it are not yet committed deltas, and bound the slack.
    const s = openStore(dir, {
      limits: { compactDeltaRows: threshold, flushRows: 1_000, writeBufferBytes: 256 * 1024 },
    });
    // A base large enough that folding deltas into it takes a while.
    const base = Array.from({ length: 300_000 }, (_, i) => ({ id: `b${i}`, v: `v${i}` }));
    await s.write(batch(base, ['v'], 1_000));
    await s.compact();
    let most = 0;
    for (let k = 0; k < 150; k++) {
      const rows = Array.from({ length: 1_000 }, (_, i) => ({ id: `n${k}-${i}`, v: 'x' }));
      await s.write(batch(rows, ['v'], 2_000 + k));
      most = Math.max(most, pendingDeltaRows(await manifest(dir)));
    }
    await s.settled();
    // Twice the threshold, plus what the write buffer and the flush under way held when the
    // last check let a write through (without the wait: 136,000 in one run).
    expect(most).toBeLessThanOrEqual(2 * threshold + 10_000);
    const res = await s.lookup(['n0-0', 'n149-999', 'b299999'], ['v']);
    expect(res.records()).toHaveLength(3);
    await s.close();
  });
});

describe('close', () => {
  it('abandons a background merge under way: nothing of it is committed or left on disk, no row is lost', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { limits: { compactDeltas: 4 } });
    for (let d = 0; d < 4; d++) {
      await s.write(batch([{ id: `new${d}`, v: `n${d}` }], ['v'], 2_000 + d));
      await s.flush();
    }
    // The fourth flush started a merge of the 4 deltas; close() does not wait for it.
    await s.close();
    await s.settled();
    const after = await manifest(dir);
    expect(after.deltas).toHaveLength(4);
    expect((await files(dir)).sort()).toEqual(after.deltas.map((f) => f.file).sort());
    const res = await openStore(dir).lookup(['new0', 'new3'], ['v']);
    expect(res.records()).toEqual([
      { id: 'new0', v: 'n0' },
      { id: 'new3', v: 'n3' },
    ]);
  });
});

describe('write buffer', () => {
  it('bounds memory: writers wait for a flush when the buffer is full (500,000 ids, 1 MB budget)', async () => {
    const dir = await tempDir();
    const budget = 1024 * 1024;
    const s = openStore(dir, { limits: { writeBufferBytes: budget, compactDeltaRows: 100_000 } });
    const size = 5_000;
    let peak = 0;
    for (let from = 0; from < 500_000; from += size) {
      const rows = Array.from({ length: size }, (_, i) => ({ id: String(from + i), v: `value-${from + i}` }));
      await s.write(batch(rows, ['v'], Date.now()));
      peak = Math.max(peak, s.buffered().bytes);
    }
    await s.close();
    console.log(
      `write buffer: peak ${(peak / 1024 / 1024).toFixed(2)} MB with a budget of 1 MB and batches of ${size} rows`,
    );
    // Within the budget plus the batch that crossed it (the writer waits right after adding it).
    expect(peak).toBeLessThan(budget * 2.5);
    const ids = ['0', '250000', '499999'];
    expect((await openStore(dir).lookup(ids, ['v'])).records()).toEqual(
      ids.map((id) => ({ id, v: `value-${id}` })),
    );
  }, 120_000);

  it('flushes on its own after the interval, without a caller waiting', async () => {
    const dir = await tempDir();
    const s = openStore(dir, { limits: { flushIntervalMs: 20 } });
    await s.write(batch([{ id: '1', v: 'x' }], ['v'], Date.now()));
    const deltas = async () => (await manifest(dir).catch(() => ({ deltas: [] }))).deltas.length;
    for (let i = 0; i < 100 && (await deltas()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await deltas()).toBe(1);
    await s.close();
  });
});
