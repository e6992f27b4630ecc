/**
 * A delta file round trip: what a flush writes (numbers go to polars as typed arrays with NaN
 * standing for null) reads back as the same rows, nulls, stamps and markers included.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { dtypeOf } from '../../src/cache/column-types.js';
import { deltaEncoderMode, encodeDeltaOffThread } from '../../src/cache/delta-encoder.js';
import { readDeltaFile } from '../../src/cache/delta-index.js';
import { decodeDelta, deltaColumns, deltaFrameOf, deltaRow } from '../../src/cache/delta-io.js';
import type { TableSchema } from '../../src/cache/frames.js';
import type { OverlayRow } from '../../src/cache/overlay.js';
import { writePartFile } from '../../src/cache/part-io.js';

const schema: TableSchema = {
  title: 'string',
  year: 'int',
  rating: 'float',
  votes: 'bigint',
  seen: 'boolean',
};

describe('delta files', () => {
  it('keep every value, null, stamp and marker of the rows flushed', async () => {
    const rows = new Map<string, OverlayRow>([
      [
        '1',
        {
          values: { title: 'A', year: 1999, rating: 7.5, votes: '9007199254740993', seen: true },
          at: { title: 10, year: 10, rating: 10, votes: 10, seen: 10 },
          ok: 10,
        },
      ],
      // Upstream nulls are values (stamped), not gaps.
      [
        '2',
        {
          values: { title: null, year: null, rating: null, votes: null, seen: null },
          at: { title: 11, year: 11, rating: 11, votes: 11, seen: 11 },
          ok: 11,
        },
      ],
      // Only some columns fetched: the others have no stamp, and read back absent.
      ['3', { values: { year: 0, rating: -0.25 }, at: { year: 12.5, rating: 12.5 } }],
      ['4', { values: {}, at: {}, nf: 13 }],
      ['5', { values: {}, at: {}, del: 14 }],
      ['6', { values: { year: -2147483648, rating: 1e300 }, at: { year: 15, rating: 15 }, ok: 15 }],
    ]);
    const df = deltaFrameOf(deltaColumns(rows, schema));
    // The stored types, not the Float64 the numbers travelled in.
    expect(df.getColumn('year').dtype.equals(dtypeOf('int'))).toBe(true);
    expect(df.getColumn('rating').dtype.equals(dtypeOf('float'))).toBe(true);
    expect(df.getColumn('year').nullCount()).toBe(3);
    expect(df.getColumn('_cg_nf').toArray()).toEqual([null, null, null, 13, null, null]);
    const dir = await mkdtemp(path.join(tmpdir(), 'cachegate-delta-'));
    await writePartFile(dir, 'd.parquet', await encodeDeltaOffThread(rows, schema));
    const file = await readDeltaFile(dir, 'd.parquet', schema);
    const decoded = decodeDelta(file.df, schema);
    const back = Object.fromEntries(file.ids.map((id, i) => [id, deltaRow(decoded, i)]));
    expect(back).toEqual(Object.fromEntries(rows));
  });
});

describe('the delta encoder', () => {
  it('encodes in its worker thread the same file as this thread does, and several at once', async () => {
    const rows = (from: number) =>
      new Map<string, OverlayRow>(
        Array.from({ length: 2_000 }, (_, i): [string, OverlayRow] => [
          String(from + i),
          {
            values: { title: `T${from + i}`, year: i % 3 === 0 ? null : i },
            at: { title: 5, year: 5 },
            ok: 5,
          },
        ]),
      );
    const s: TableSchema = { title: 'string', year: 'int' };
    const all = await Promise.all([0, 2_000, 4_000].map((from) => encodeDeltaOffThread(rows(from), s)));
    expect(deltaEncoderMode()).toBe('worker');
    for (const [k, from] of [0, 2_000, 4_000].entries()) {
      const there = pl.readParquet(all[k]!);
      expect(there.frameEqual(deltaFrameOf(deltaColumns(rows(from), s)), true)).toBe(true);
    }
  });
});
