/** A table's base parts as lookups and compaction read them: in memory within the byte budget, or from disk. */
import type pl from 'nodejs-polars';
import { alignToSchema, partColumns, type TableSchema } from './frames.js';
import type { PartEntry } from './manifest.js';
import { type PartIndex, type PartMemory, readPartFile } from './part-io.js';
import { removeFile } from './vacuum.js';

export class TableParts {
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

  /** The part's JS index (ID → row, decoded columns), built on first use. */
  async index(part: PartEntry): Promise<PartIndex> {
    const cached = this.memory.cachedIndex(part.file);
    return cached ?? this.memory.index(part.file, (await this.box(part)).df);
  }

  /** Removes a file of the table and its in-memory copy. */
  remove(file: string): Promise<void> {
    return removeFile(this.dir, this.memory, file);
  }
}
