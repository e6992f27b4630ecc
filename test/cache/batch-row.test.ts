/** Rows of a fetched batch held as its columns (batch-row.ts), merged and flushed like plain rows. */
import { describe, expect, it } from 'vitest';
import { BatchRow, batchColumns } from '../../src/cache/batch-row.js';
import { deltaColumns } from '../../src/cache/delta-io.js';
import { Overlay } from '../../src/cache/overlay.js';

describe('batch rows', () => {
  const batch = () =>
    batchColumns(
      ['title', 'year'],
      [
        ['A', 'B'],
        [1999, null],
      ],
      10,
    );

  it('read as plain rows: values, stamps, row seen', () => {
    const b = batch();
    const row = new BatchRow(b, 1);
    expect(row.values).toEqual({ title: 'B', year: null });
    expect(row.at).toEqual({ title: 10, year: 10 });
    expect(row.ok).toBe(10);
    expect(row.value('year')).toBeNull();
    // Column names are data: one named like an Object member is not one.
    expect(row.value('constructor')).toBeUndefined();
    expect(row.value('toString')).toBeUndefined();
  });

  it('a merge into one replaces it with a plain row: the batch and its other rows are untouched', () => {
    const b = batch();
    const o = new Overlay();
    o.add('a', new BatchRow(b, 0));
    o.add('b', new BatchRow(b, 1));
    o.add('a', { values: { year: 2001 }, at: { year: 20 } });
    expect(o.get('a')).toEqual({ values: { title: 'A', year: 2001 }, at: { title: 10, year: 20 }, ok: 10 });
    expect(o.get('b')).toBeInstanceOf(BatchRow);
    expect(o.get('b')?.values).toEqual({ title: 'B', year: null });
    expect(b.values).toEqual([
      ['A', 'B'],
      [1999, null],
    ]);
    expect(b.at).toEqual({ title: 10, year: 10 });
  });

  it('flush as the same delta columns as plain rows', () => {
    const b = batch();
    const asBatch = new Overlay();
    const asPlain = new Overlay();
    for (const [i, id] of ['a', 'b'].entries()) {
      asBatch.add(id, new BatchRow(b, i));
      asPlain.add(id, new BatchRow(b, i).plain());
    }
    const schema = { title: 'string', year: 'int' } as const;
    expect(deltaColumns(asBatch.rows, schema)).toEqual(deltaColumns(asPlain.rows, schema));
    expect(asBatch.bytes).toBe(asPlain.bytes);
  });
});
