/** A table's base parts as lookups and compaction read them: in memory within the byte budget, or from disk. */
import path from 'node:path';
import pl from 'nodejs-polars';
import { dtypeOf } from './column-types.js';
import { alignToSchema, partColumns, type TableSchema, TS_PREFIX } from './frames.js';
import type { PartEntry } from './manifest.js';
import { type PartIndex, type PartMemory, readPartFile } from './part-io.js';
import { removeFile } from './vacuum.js';

export class TableParts {
  private readonly projections = new Map<string, pl.Expr[]>();
  /** Columns of the part files scanned so far (forgotten when a file is removed). */
  private readonly fileColumns = new Map<string, string[]>();

  constructor(
    private readonly dir: string,
    readonly memory: PartMemory,
  ) {}

  /** A part as written (it may predate columns added since). */
  async raw(part: PartEntry): Promise<pl.DataFrame> {
    return (await this.box(part)).df;
  }

  /**
   * The part in a box: nodejs-polars wraps a DataFrame in a Proxy whose every property read
   * (including the `then` a promise checks when it resolves) calls into native code, which made
   * awaiting a cached frame cost more than the lookup itself.
   */
  private async box(part: PartEntry): Promise<{ df: pl.DataFrame }> {
    let df = this.memory.get(part.file);
    if (!df) {
      df = await readPartFile(this.dir, part.file);
      this.memory.set(part.file, df);
    }
    return { df };
  }

  /** A part with every column of `schema`. */
  async aligned(part: PartEntry, schema: TableSchema): Promise<pl.DataFrame> {
    const df = await this.raw(part);
    return df.width === partColumns(schema).length ? df : alignToSchema(df, schema);
  }

  /**
   * A part for a large lookup, as a query: its frame when held in memory, or when it fits beside
   * the parts held; else a scan of its file, which materializes only the rows the query keeps.
   * Read whole for every lookup and dropped, the parts of a table over the memory budget grew a
   * 3,000,000-row fill to 7 GB: polars frees a dropped frame only when V8 collects its wrapper.
   */
  async query(part: PartEntry, schema: TableSchema): Promise<pl.LazyDataFrame> {
    if (this.holds(part)) return (await this.aligned(part, schema)).lazy();
    const scan = pl.scanParquet(path.join(this.dir, part.file));
    // A file never changes once written: its footer is read once, not by every lookup.
    let have = this.fileColumns.get(part.file);
    if (!have) {
      have = scan.columns;
      // Compactions remove files without telling this cache: bounded, it forgets them all at once.
      if (this.fileColumns.size >= 1_024) this.fileColumns.clear();
      this.fileColumns.set(part.file, have);
    }
    return scan.select(...this.projection(have, schema));
  }

  /**
   * The columns of `schema` from a file holding `have`, in file order: kept per shape, since
   * every nodejs-polars expression is a costly JS wrapper and a table over the memory budget is
   * scanned by every lookup (polars expressions are immutable: one serves many queries).
   */
  private projection(have: readonly string[], schema: TableSchema): pl.Expr[] {
    const key = JSON.stringify([have, Object.entries(schema)]);
    let exprs = this.projections.get(key);
    if (!exprs) {
      const present = new Set(have);
      exprs = partColumns(schema).map((c) => {
        const type = c === 'id' ? 'string' : c.startsWith(TS_PREFIX) ? 'float' : schema[c]!;
        // A column the part predates is a typed null, as alignToSchema makes it.
        return present.has(c) ? pl.col(c).cast(dtypeOf(type)) : pl.lit(null).cast(dtypeOf(type)).alias(c);
      });
      if (this.projections.size >= 64) this.projections.clear();
      this.projections.set(key, exprs);
    }
    return exprs;
  }

  /** Whether the part is in memory, or would fit beside the parts held (else lookups scan it). */
  holds(part: PartEntry): boolean {
    return this.memory.get(part.file) !== undefined || this.memory.fits(part.file);
  }

  /** The part's JS index (ID → row, decoded columns), built on first use. */
  async index(part: PartEntry): Promise<PartIndex> {
    const cached = this.memory.cachedIndex(part.file);
    return cached ?? this.memory.index(part.file, (await this.box(part)).df);
  }

  /** Removes a file of the table and its in-memory copy. */
  remove(file: string): Promise<void> {
    this.fileColumns.delete(file);
    return removeFile(this.dir, this.memory, file);
  }
}
