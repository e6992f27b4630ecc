import type pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import type { LogicalType } from '../../src/cache/column-types.js';
import { columnsFrame, type JsColumn } from '../../src/cache/result-frame.js';

// Stored forms (column-types.ts): JSON as text, BigInt as decimal text, dates as epoch ms / days.
const SAMPLES: Record<LogicalType, unknown[]> = {
  string: ['a', '', null, 'é'],
  json: ['{"a":1}', null, '[1,2]', '"x"'],
  int: [0, -2_147_483_648, 2_147_483_647, null],
  float: [1.5, -0, null, 1e300],
  boolean: [true, false, null, true],
  bigint: ['9007199254740993', null, '-1', '0'],
  datetime: [1_700_000_000_123, null, 0, -1],
  date: [19_000, null, 0, 1],
};

const read = (df: pl.DataFrame) => ({
  columns: df.columns,
  dtypes: df.dtypes.map(String),
  rows: df.toRecords(),
});

describe('columnsFrame', () => {
  // Few rows of plain types go through one readRecords call; the rest build one Series per
  // column. Both must give the same frame.
  it.each(Object.keys(SAMPLES) as LogicalType[])(
    'builds %s columns the same way for few and many rows',
    (type) => {
      const few = SAMPLES[type];
      const many = Array.from({ length: 1_200 }, (_, i) => few[i % few.length]);
      const idsOf = (n: number) => Array.from({ length: n }, (_, i) => `id${i}`);
      const col = (values: unknown[]): JsColumn[] => [{ name: 'c', type, values }];
      const small = read(columnsFrame(idsOf(few.length), col(few)));
      const large = read(columnsFrame(idsOf(many.length), col(many)));
      expect(small.dtypes).toEqual(large.dtypes);
      expect(small.rows).toEqual(large.rows.slice(0, few.length));
    },
  );

  it('keeps the column order and odd names (integer-like, __proto__, dot paths)', () => {
    const names = ['b', '0', '__proto__', 'details.cast.0.name', 'a'];
    const columns = names.map((name, i): JsColumn => ({ name, type: 'int', values: [i, null] }));
    const df = columnsFrame(['x', 'y'], columns);
    expect(df.columns).toEqual(['id', ...names]);
    expect(df.getColumn('__proto__').toArray()).toEqual([2, null]);
    expect(df.getColumn('0').toArray()).toEqual([1, null]);
    expect(df.dtypes.map(String)).toEqual(['DataType(String)', ...names.map(() => 'DataType(Int64)')]);
  });
});
