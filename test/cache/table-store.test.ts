import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pl from 'nodejs-polars';
import { beforeEach, describe, expect, it } from 'vitest';
import { PartMemory } from '../../src/cache/part-io.js';
import { TableStore } from '../../src/cache/table-store.js';
import { GRACE_MS } from '../../src/cache/vacuum.js';
import { DEFAULT_STORE, type StoreLimits } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'writer.ts');
const ids = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => String(from + i));

// Every test runs on both lookup paths: JS over the part index (small lookups) and polars.
let smallLookupMax = 2_000;

function newStore(dir: string, limits: Partial<StoreLimits> = {}, ttlMs?: number): TableStore {
  return new TableStore({
    ttlMs,
    smallLookupMax,
    dir: path.join(dir, 't'),
    table: 't',
    limits: { ...DEFAULT_STORE, ...limits },
    memory: new PartMemory(64 * 1024 * 1024),
    notFoundTtlMs: 60_000,
  });
}

/** Writes rows, flushes them as a delta and folds it into the base parts. */
async function writeRows(
  store: TableStore,
  idList: string[],
  value = (id: string) => `v${id}`,
): Promise<void> {
  await store.write({
    rows: idList.map((id) => ({ id, v: value(id) })),
    columns: ['v'],
    notFound: [],
    fetchedAt: Date.now(),
  });
  await store.flush();
  await store.compact();
}

async function manifestOf(dir: string) {
  return JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as {
    version: number;
    parts: { depth: number; key: number; file: string; rows: number }[];
  };
}

function runWriter(dir: string, from: number, count: number, batch: number, crash = false) {
  return run(
    process.execPath,
    ['--import', 'tsx', writer, dir, 't', String(from), String(count), String(batch), crash ? 'crash' : ''],
    {
      cwd: path.resolve(path.dirname(writer), '../../..'),
    },
  );
}

describe.each([
  ['JS', 2_000],
  ['polars', 0],
])('TableStore (%s lookups)', (_path, max) => {
  beforeEach(() => {
    smallLookupMax = max;
  });

  it('splits a part that grows past maxPartRows by the next hash bit, keeping every row', async () => {
    const dir = await tempDir();
    const store = newStore(dir, { maxPartRows: 50 });
    await writeRows(store, ids(0, 40));
    expect((await manifestOf(dir)).parts).toHaveLength(1);
    await writeRows(store, ids(40, 260));
    const m = await manifestOf(dir);
    expect(m.parts.length).toBeGreaterThanOrEqual(6);
    expect(m.parts.every((p) => p.rows <= 50)).toBe(true);
    expect(m.parts.reduce((n, p) => n + p.rows, 0)).toBe(300);
    // Parts partition the hash space: no two parts claim the same slot.
    expect(new Set(m.parts.map((p) => `${p.depth}-${p.key}`)).size).toBe(m.parts.length);
    const res = await newStore(dir, { maxPartRows: 50 }).lookup(ids(0, 300), ['v']);
    expect(res.frame().height).toBe(300);
    expect(res.missing.size).toBe(0);
    // Only live files remain on disk.
    const files = (await readdir(path.join(dir, 't'))).filter((f) => f.endsWith('.parquet'));
    expect(files.sort()).toEqual(m.parts.map((p) => p.file).sort());
  });

  it('splits by file size too, and an upsert rewrites only the parts it touches', async () => {
    const dir = await tempDir();
    const store = newStore(dir, { maxPartBytes: 4_000 });
    await writeRows(store, ids(0, 2_000), (id) => `value-${id}-${randomBytes(12).toString('hex')}`);
    const before = await manifestOf(dir);
    expect(before.parts.length).toBeGreaterThan(2);
    await writeRows(store, ['5'], () => 'changed');
    const after = await manifestOf(dir);
    const changed = after.parts.filter((p) => !before.parts.some((b) => b.file === p.file));
    expect(changed).toHaveLength(1);
    expect(after.parts).toHaveLength(before.parts.length);
    const res = await store.lookup(['5', '6'], ['v']);
    const values = res.frame().sort('id').getColumn('v').toArray();
    expect(values[0]).toBe('changed');
    expect(values[1]).toMatch(/^value-6-/);
  });

  it('writes plain Parquet that polars reads as it is, bookkeeping columns prefixed _cg_', async () => {
    const dir = await tempDir();
    await writeRows(newStore(dir), ids(1, 3));
    const m = await manifestOf(dir);
    const df = pl.readParquet(path.join(dir, 't', m.parts[0]!.file));
    expect(df.columns).toEqual(['id', 'v', '_cg_t__v']);
    expect(df.sort('id').getColumn('v').toArray()).toEqual(['v1', 'v2', 'v3']);
  });

  it('a writer killed between writing parts and the manifest leaves the previous version readable', async () => {
    const dir = await tempDir();
    await writeRows(newStore(dir), ids(0, 100));
    const before = await manifestOf(dir);
    await expect(runWriter(dir, 50, 100, 100, true)).rejects.toMatchObject({ signal: 'SIGKILL' });
    const after = await manifestOf(dir);
    expect(after).toEqual(before);
    const store = newStore(dir);
    const res = await store.lookup(ids(0, 150), ['v']);
    expect(res.frame().height).toBe(100);
    expect(res.frame().sort('id').getColumn('v').toArray()).toEqual(
      ids(0, 100)
        .sort()
        .map((id) => `v${id}`),
    );
    // The dead writer's delta is an orphan: compact removes it once past the grace period.
    expect((await readdir(path.join(dir, 't'))).filter((f) => f.endsWith('.parquet')).length).toBe(2);
    expect(await store.compact(Date.now() + GRACE_MS)).toEqual({ removedFiles: 1, expiredRows: 0 });
    expect((await store.lookup(ids(0, 100), ['v'])).frame().height).toBe(100);
  });

  it('two processes writing one table at once lose no row', async () => {
    const dir = await tempDir();
    await Promise.all([runWriter(dir, 0, 150, 10), runWriter(dir, 1_000, 150, 10)]);
    const res = await newStore(dir).lookup([...ids(0, 150), ...ids(1_000, 150)], ['v']);
    expect(res.frame().height).toBe(300);
    expect(res.missing.size).toBe(0);
    // Each of the 30 flushes is one committed version (15 per process, none lost to a race).
    expect((await manifestOf(dir)).version).toBe(30);
  });

  it('invalidates ids or the whole table', async () => {
    const dir = await tempDir();
    const store = newStore(dir);
    await writeRows(store, ids(0, 10));
    await store.write({ rows: [], columns: ['v'], notFound: ['ghost'], fetchedAt: Date.now() });
    expect((await store.lookup(['ghost'], ['v'])).notFound).toEqual(['ghost']);
    expect(await store.invalidate(['1', '2', 'nope', 'ghost'])).toBe(2);
    const res = await store.lookup(['1', '3', 'ghost'], ['v']);
    expect([...res.missing.keys()].sort()).toEqual(['1', 'ghost']);
    expect(await store.invalidate()).toBe(8);
    expect((await store.stats()).rows).toBe(0);
  });

  it('tells found rows, stale columns, new columns and not-found ids apart', async () => {
    const dir = await tempDir();
    const store = newStore(dir, {}, 1_000);
    await store.write({
      rows: [{ id: 'a', v: 'x', n: 1 }],
      columns: ['v', 'n'],
      notFound: ['gone'],
      fetchedAt: 10_000,
    });
    await store.write({ rows: [{ id: 'b', v: 'y' }], columns: ['v'], notFound: [], fetchedAt: 10_500 });
    const res = await store.lookup(['a', 'b', 'gone', 'c'], ['v', 'n', 'w'], 11_200);
    expect(res.notFound).toEqual(['gone']);
    expect(Object.fromEntries([...res.missing].map(([id, cols]) => [id, [...cols].sort()]))).toEqual({
      a: ['n', 'v', 'w'],
      b: ['n', 'w'],
      c: ['n', 'v', 'w'],
    });
    expect(res.records().sort((x, y) => String(x['id']).localeCompare(String(y['id'])))).toEqual([
      { id: 'a', v: 'x', n: 1, w: null },
      { id: 'b', v: 'y', n: null, w: null },
    ]);
    expect(res.frame().sort('id').toRecords()).toEqual([
      { id: 'a', v: 'x', n: 1, w: null },
      { id: 'b', v: 'y', n: null, w: null },
    ]);
  });

  it('compact drops rows whose every column is past the TTL, and keeps the rest', async () => {
    const dir = await tempDir();
    const store = newStore(dir, {}, 1_000);
    await store.write({ rows: [{ id: 'old', v: 'x' }], columns: ['v'], notFound: [], fetchedAt: 1_000 });
    await store.write({ rows: [{ id: 'new', v: 'y' }], columns: ['v'], notFound: [], fetchedAt: 5_000 });
    await store.flush();
    expect((await store.compact(5_500)).expiredRows).toBe(1);
    expect((await store.stats()).rows).toBe(1);
    expect((await store.lookup(['new'], ['v'], 5_500)).records()).toEqual([{ id: 'new', v: 'y' }]);
  });
});
