/**
 * Part files: immutable Parquet files under fresh names, so a file name identifies its content
 * for good and in-memory copies never go stale. Hot parts stay in memory within a byte budget.
 */
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { type LogicalType, readValues } from './column-types.js';
import { frameBytes, weigh } from './native-weight.js';

export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function newPartName(slot: string): string {
  return `part-${slot}-${randomUUID()}.parquet`;
}

/** Encodes a frame as Parquet (in memory, so its size is known before anything is written). */
export function encodeParquet(df: pl.DataFrame): Buffer {
  // Encoding blocks the event loop (≈ tens of ms per 100k rows); `sinkParquet` would run off it
  // but cannot tell the size before writing, which the split decision needs.
  return df.writeParquet({ compression: 'zstd' });
}

/** Writes a new part file durably (fsync); the manifest that names it is written after. */
export async function writePartFile(dir: string, name: string, data: Buffer): Promise<void> {
  const fh = await open(path.join(dir, name), 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The `id` column of a Parquet file (only that column is read), off the event loop. */
export function readIdColumn(file: string): Promise<pl.DataFrame> {
  return pl.scanParquet(file).select('id').collect();
}

export async function readPartFile(dir: string, name: string): Promise<pl.DataFrame> {
  // `collect()` runs in polars' thread pool, off the event loop, unlike `readParquet`.
  return pl.scanParquet(path.join(dir, name)).collect();
}

/**
 * A part's rows seen from JS: ID → row number, and column arrays decoded on first use. Small
 * lookups (the GraphQL hot path) read these instead of calling polars: every polars call costs
 * from 0.2 to 1 ms of binding overhead here, which dominated a one-ID lookup.
 */
export class PartIndex {
  readonly rows: Map<string, number>;
  private readonly columns = new Map<string, unknown[] | undefined>();

  constructor(
    private readonly df: pl.DataFrame,
    rows?: Map<string, number>,
  ) {
    if (rows) this.rows = rows;
    else {
      const ids = df.getColumn('id').toArray() as string[];
      this.rows = new Map(ids.map((id, i) => [id, i]));
    }
  }

  /**
   * Builds the index and decodes `columns` in slices, yielding to the event loop between them:
   * decoding a 1M-row part at once blocked every other request of the process for a second.
   */
  static async build(
    df: pl.DataFrame,
    columns: ReadonlyArray<[string, LogicalType | undefined]>,
  ): Promise<PartIndex> {
    // Small slices: with two cores shared, one 64k-row slice could hold the loop for 100 ms or more.
    const SLICE = 16_384;
    const rows = new Map<string, number>();
    const idColumn = df.getColumn('id');
    for (let offset = 0; offset < df.height; offset += SLICE) {
      const ids = idColumn.slice(offset, SLICE).toArray() as string[];
      for (let i = 0; i < ids.length; i++) rows.set(ids[i]!, offset + i);
      await yieldToLoop();
    }
    const index = new PartIndex(df, rows);
    for (const [name, type] of columns) {
      if (!df.columns.includes(name)) continue;
      const series = df.getColumn(name);
      const values: unknown[] = [];
      for (let offset = 0; offset < df.height; offset += SLICE) {
        for (const v of readValues(series.slice(offset, SLICE), type)) values.push(v);
        await yieldToLoop();
      }
      index.columns.set(name, values);
    }
    return index;
  }

  /** Columns decoded so far: the ones lookups use. */
  decoded(): string[] {
    return [...this.columns.keys()];
  }

  /** The column's values (`type` picks an exact read), or undefined when the part predates the column. */
  column(name: string, type: LogicalType | undefined): unknown[] | undefined {
    if (!this.columns.has(name)) {
      this.columns.set(
        name,
        this.df.columns.includes(name) ? readValues(this.df.getColumn(name), type) : undefined,
      );
    }
    return this.columns.get(name);
  }
}

interface Entry {
  df: pl.DataFrame;
  cost: number;
  index?: PartIndex;
}

/** LRU of parsed parts keyed by file name, bounded by an estimated in-memory size. */
export class PartMemory {
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  /** Decoded size of each part read since it was written, held or not. */
  private readonly sizes = new Map<string, number>();
  private readonly idColumns = new Map<string, { df: pl.DataFrame; cost: number }>();
  private idBytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get(file: string): pl.DataFrame | undefined {
    const e = this.entries.get(file);
    if (!e) return undefined;
    // Re-insert to mark as most recently used.
    this.entries.delete(file);
    this.entries.set(file, e);
    return e.df;
  }

  /** Holds a part, at its decoded size (`frameBytes`), dropping the least recently used over budget. */
  set(file: string, df: pl.DataFrame): void {
    const cost = frameBytes(df);
    weigh(df, cost);
    this.sizes.set(file, cost);
    if (cost > this.budgetBytes) return;
    this.drop(file);
    // Held whole, its ID column is not needed apart (lookups read the part itself).
    this.dropIds(file);
    this.entries.set(file, { df, cost });
    this.used += cost;
    for (const [k, v] of this.entries) {
      if (this.used <= this.budgetBytes) break;
      this.entries.delete(k);
      this.used -= v.cost;
    }
  }

  /** The JS index of a part, if it is held in memory and was built already. */
  cachedIndex(file: string): PartIndex | undefined {
    return this.entries.get(file)?.index;
  }

  /** Keeps an index built ahead of use (after a compaction); dropped if the part is not held. */
  putIndex(file: string, index: PartIndex): void {
    const e = this.entries.get(file);
    if (!e || e.index) return;
    e.index = index;
    this.used += e.cost;
    e.cost *= 2;
  }

  /** The JS index of a part held in memory (built on first use), or a throwaway one. */
  index(file: string, df: pl.DataFrame): PartIndex {
    const e = this.entries.get(file);
    if (!e) return new PartIndex(df);
    if (!e.index) {
      e.index = new PartIndex(df);
      // The ID map and decoded columns roughly double what the part holds in memory.
      this.used += e.cost;
      e.cost *= 2;
    }
    return e.index;
  }

  /**
   * Whether a part not held would fit beside the parts held, without dropping any: unknown
   * (never read) parts are read once to find out.
   */
  fits(file: string): boolean {
    const size = this.sizes.get(file);
    return size === undefined || this.used + size <= this.budgetBytes;
  }

  /** The file is gone (replaced by a compaction): forget it. */
  forget(file: string): void {
    this.drop(file);
    this.sizes.delete(file);
    this.dropIds(file);
  }

  /** The ID column of a part not held, if kept (see TableParts.query). */
  ids(file: string): pl.DataFrame | undefined {
    return this.idColumns.get(file)?.df;
  }

  /**
   * Keeps a part's ID column, within an eighth of the budget (least recently kept dropped
   * first): a few dozen bytes a row, against hundreds for the whole part.
   */
  setIds(file: string, df: pl.DataFrame): void {
    const cost = frameBytes(df);
    weigh(df, cost);
    this.dropIds(file);
    if (cost > this.budgetBytes / 8) return;
    this.idColumns.set(file, { df, cost });
    this.idBytes += cost;
    for (const [k, v] of this.idColumns) {
      if (this.idBytes <= this.budgetBytes / 8) break;
      this.idColumns.delete(k);
      this.idBytes -= v.cost;
    }
  }

  private dropIds(file: string): void {
    const e = this.idColumns.get(file);
    if (e) {
      this.idColumns.delete(file);
      this.idBytes -= e.cost;
    }
  }

  drop(file: string): void {
    const e = this.entries.get(file);
    if (e) {
      this.entries.delete(file);
      this.used -= e.cost;
    }
  }
}
