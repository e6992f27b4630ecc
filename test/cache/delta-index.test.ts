/**
 * The in-memory index of committed deltas: rows kept in the files' frames, merged per column by
 * stamp across files; after a compaction folds some deltas into the base, the index of the files
 * left is rebuilt from memory, never read from disk again.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeDeltaOffThread } from '../../src/cache/delta-encoder.js';
import { DeltaIndex, readDeltaFile } from '../../src/cache/delta-index.js';
import type { TableSchema } from '../../src/cache/frames.js';
import { emptyManifest, type Manifest } from '../../src/cache/manifest.js';
import { mergeRow, type OverlayRow } from '../../src/cache/overlay.js';
import { writePartFile } from '../../src/cache/part-io.js';
import { tempDir } from '../helpers/temp-dir.js';

const schema: TableSchema = { title: 'string', year: 'int' };

/** Writes a delta file of `rows` (ID → title, year at stamp `at`; a null year is left unfetched). */
async function delta(dir: string, file: string, at: number, rows: Record<string, [string, number | null]>) {
  const stamps = { title: at };
  const both = { title: at, year: at };
  const map = new Map<string, OverlayRow>(
    Object.entries(rows).map(([id, [title, year]]): [string, OverlayRow] => [
      id,
      year === null
        ? { values: { title }, at: stamps, ok: at }
        : { values: { title, year }, at: both, ok: at },
    ]),
  );
  await writePartFile(dir, file, await encodeDeltaOffThread(map, schema));
  return { file, rows: map.size, bytes: 0 };
}

const manifest = (deltas: Manifest['deltas']): Manifest => ({ ...emptyManifest('t'), schema, deltas });

const view = (index: DeltaIndex) =>
  Object.fromEntries([...index.rows.ids()].map((id) => [id, { ...index.rows.get(id)?.values }]));

describe('the delta index after a compaction', () => {
  it('drops the folded deltas’ rows from memory, without reading the deltas left again', async () => {
    const dir = await tempDir();
    const d1 = await delta(dir, 'd1.parquet', 10, { '1': ['A', 1], '2': ['B', 2] });
    const d2 = await delta(dir, 'd2.parquet', 20, { '3': ['C', 3] });
    const index = new DeltaIndex();
    await index.follow(dir, manifest([d1, d2]));
    expect(Object.keys(view(index)).sort()).toEqual(['1', '2', '3']);
    // Both files gone from disk: reading any of them again would fail.
    await rm(path.join(dir, 'd1.parquet'));
    await rm(path.join(dir, 'd2.parquet'));
    await index.follow(dir, manifest([d2]));
    expect(view(index)).toEqual({ '3': { title: 'C', year: 3 } });
  });

  it('keeps only the values of the deltas left when a row mixed values of a folded one', async () => {
    const dir = await tempDir();
    const d1 = await delta(dir, 'd1.parquet', 10, { '1': ['A', 1], '2': ['B', 2] });
    // ID 2 again, its title only: the merged row holds d2's title and d1's year.
    const d2 = await delta(dir, 'd2.parquet', 20, { '2': ['B2', null] });
    const index = new DeltaIndex();
    await index.follow(dir, manifest([d1, d2]));
    expect(view(index)['2']).toEqual({ title: 'B2', year: 2 });
    expect(index.rows.get('2')?.at).toEqual({ title: 20, year: 10 });
    await rm(path.join(dir, 'd1.parquet'));
    await rm(path.join(dir, 'd2.parquet'));
    await index.follow(dir, manifest([d2]));
    // d1's year is in the base now: the index holds only what d2 has.
    expect(view(index)).toEqual({ '2': { title: 'B2' } });
  });
});

describe('the delta index’s rows', () => {
  it('are built once per file row, and merging an ID held by several files changes none of them', async () => {
    const dir = await tempDir();
    const d1 = await delta(dir, 'd1.parquet', 10, { '1': ['A', 1], '2': ['B', 2] });
    const d2 = await delta(dir, 'd2.parquet', 20, { '2': ['B2', null] });
    const index = new DeltaIndex();
    await index.follow(dir, manifest([d1, d2]));
    expect(index.rows.get('1')).toBe(index.rows.get('1'));
    expect(index.rows.get('2')).toEqual({
      values: { title: 'B2', year: 2 },
      at: { title: 20, year: 10 },
      ok: 20,
    });
    expect(index.rows.get('2')).toEqual(index.rows.get('2'));
    // d2 gone (only for this test: compactions fold the oldest): d1's own row for ID 2 is intact.
    await index.follow(dir, manifest([d1]));
    expect(index.rows.get('2')).toEqual({
      values: { title: 'B', year: 2 },
      at: { title: 10, year: 10 },
      ok: 10,
    });
  });
});

describe('the delta index while it follows a compaction', () => {
  it('keeps a delta this process commits while the new index is built aside', async () => {
    const dir = await tempDir();
    const d1 = await delta(dir, 'd1.parquet', 10, { '1': ['A', 1] });
    const d2 = await delta(dir, 'd2.parquet', 20, { '2': ['B', 2] });
    const index = new DeltaIndex();
    await index.follow(dir, manifest([d1]));
    // A compaction folded d1; another process committed d2, which must be read from disk.
    const d3 = await readDeltaFile(dir, (await delta(dir, 'd3.parquet', 30, { '3': ['C', 3] })).file, schema);
    const following = index.follow(dir, manifest([d2]));
    // Meanwhile (the read of d2 is under way) our own flush commits d3.
    index.addOwn(d3);
    await following;
    expect(view(index)).toEqual({ '2': { title: 'B', year: 2 }, '3': { title: 'C', year: 3 } });
  });
});

describe('overlay rows of one batch share their stamps object', () => {
  it('a merge into one row copies it: the others keep their stamps', () => {
    const stamps = { title: 10, year: 10 };
    const a: OverlayRow = { values: { title: 'A', year: 1 }, at: stamps };
    const b: OverlayRow = { values: { title: 'B', year: 2 }, at: stamps };
    mergeRow(a, { values: { title: 'A2' }, at: { title: 20 } });
    expect(a).toEqual({ values: { title: 'A2', year: 1 }, at: { title: 20, year: 10 } });
    expect(b.at).toBe(stamps);
    expect(stamps).toEqual({ title: 10, year: 10 });
  });
});
