/**
 * Rows of one fetched batch as the columns they were checked into: the write buffer holds a
 * `BatchRow` (the batch and a row number) per ID instead of a values object per row. In a cold
 * fill every buffered row stays in memory until a compaction folds its delta into the base, and
 * per-row objects were most of what the garbage collector copied and marked.
 */
import type { OverlayRow } from './overlay.js';

export interface BatchColumns {
  /** Columns fetched, all of them for every row (a null is an upstream null). */
  columns: readonly string[];
  /** Column name → its position in `columns` and `values`. */
  index: Readonly<Record<string, number>>;
  /** `values[j][i]`: column j of row i, checked and converted for its type. */
  values: ReadonlyArray<readonly unknown[]>;
  /** The batch's fetch stamps: every column at `fetchedAt` (one object for all its rows). */
  at: Readonly<Record<string, number>>;
  fetchedAt: number;
}

export function batchColumns(
  columns: readonly string[],
  values: unknown[][],
  fetchedAt: number,
): BatchColumns {
  const index: Record<string, number> = {};
  const at: Record<string, number> = {};
  for (const [j, c] of columns.entries()) {
    index[c] = j;
    at[c] = fetchedAt;
  }
  return { columns, index, values, at, fetchedAt };
}

/**
 * Row `i` of a batch, read from the batch's columns. Its `values` record is built on first read
 * (a lookup that merges the row) and kept. Never changed in place: `Overlay.add` replaces it with
 * a plain row (`plain()`) before merging another into it.
 */
export class BatchRow implements OverlayRow {
  private values_: Record<string, unknown> | undefined;

  constructor(
    readonly batch: BatchColumns,
    readonly i: number,
  ) {}

  get values(): Record<string, unknown> {
    if (this.values_ === undefined) {
      const v: Record<string, unknown> = {};
      const { columns, values } = this.batch;
      for (let j = 0; j < columns.length; j++) v[columns[j]!] = values[j]![this.i];
      this.values_ = v;
    }
    return this.values_;
  }

  get at(): Readonly<Record<string, number>> {
    return this.batch.at;
  }

  get ok(): number {
    return this.batch.fetchedAt;
  }

  /** One column's value (undefined when the batch did not fetch it), without building `values`. */
  value(column: string): unknown {
    const j = this.batch.index[column];
    return j === undefined || !Object.hasOwn(this.batch.index, column)
      ? undefined
      : this.batch.values[j]![this.i];
  }

  /** A plain row with the same values and stamps, to merge into. */
  plain(): OverlayRow {
    return { values: { ...this.values }, at: this.batch.at, ok: this.batch.fetchedAt };
  }
}
