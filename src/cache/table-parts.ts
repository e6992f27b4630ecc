/** A table's base parts as lookups and compaction read them: in memory within the byte budget, or from disk. */
import path from 'node:path';
import pl from 'nodejs-polars';
import { dtypeOf } from './column-types.js';
import { alignToSchema, idFrame, partColumns, type TableSchema, TS_PREFIX } from './frames.js';
import type { PartEntry } from './manifest.js';
import { weigh } from './native-weight.js';
import { type PartIndex, type PartMemory, readIdColumn, readPartFile } from './part-io.js';
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
    return this.align(await this.raw(part), schema);
  }

  /** A part with every column of `schema`, from memory if held, else read without holding it. */
  async read(part: PartEntry, schema: TableSchema): Promise<pl.DataFrame> {
    const held = this.memory.get(part.file);
    return this.align(held ?? weigh(await readPartFile(this.dir, part.file)), schema);
  }

  private align(df: pl.DataFrame, schema: TableSchema): pl.DataFrame {
    return df.width === partColumns(schema).length ? df : alignToSchema(df, schema);
  }

  /**
   * A part for a large lookup, as a query. A part held in memory answers from memory. One not
   * held is first probed through its ID column (kept in memory, small): when it holds none of
   * the IDs asked the answer is undefined and nothing is read (a cold fill's windows, all new
   * IDs); when it holds some, it is read into memory if it fits beside the parts held, else
   * scanned from its file (only the rows the query keeps are materialized).
   *
   * Read into memory by a fill's windows whether or not they found anything, every part of the
   * table was held up to the whole budget, and read whole and dropped in every window when it did
   * not fit (7 GB at 3,000,000 rows).
   */
  async query(
    part: PartEntry,
    schema: TableSchema,
    ids?: pl.DataFrame,
  ): Promise<pl.LazyDataFrame | undefined> {
    if (this.memory.get(part.file)) return (await this.aligned(part, schema)).lazy();
    if (ids) {
      const some = await (await this.ids(part))
        .lazy()
        .join(ids.lazy(), { on: 'id', how: 'semi' })
        .head(1)
        .collect();
      if (some.height === 0) return undefined;
      if (this.memory.fits(part.file)) return (await this.aligned(part, schema)).lazy();
    }
    return this.scan(part, schema);
  }

  /** A part with every column of `schema`, as a scan of its file (columns it predates typed nulls). */
  async scan(part: PartEntry, schema: TableSchema): Promise<pl.LazyDataFrame> {
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

  /** Which of `ids` the part holds: through its index when built, else through its ID column. */
  async present(part: PartEntry, ids: readonly string[]): Promise<string[]> {
    const index = this.memory.cachedIndex(part.file);
    if (index) return ids.filter((id) => index.rows.has(id));
    const held = this.memory.get(part.file);
    const have: pl.DataFrame = held ? held.select('id') : await this.ids(part);
    const found = await have.lazy().join(idFrame(ids).lazy(), { on: 'id', how: 'semi' }).collect();
    return found.getColumn('id').toArray() as string[];
  }

  /** The ID column of a part not held, read once from its file and kept. */
  private async ids(part: PartEntry): Promise<pl.DataFrame> {
    let ids = this.memory.ids(part.file);
    if (!ids) {
      ids = await readIdColumn(path.join(this.dir, part.file));
      this.memory.setIds(part.file, ids);
    }
    return ids;
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

  /** Whether the part is in memory, or would fit beside the parts held (else small lookups scan it). */
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
