/** The cache folder: one TableStore per table, sharing one memory budget for hot parts. */
import path from 'node:path';
import type { StoreLimits } from '../config/types.js';
import { TABLE_NAME } from '../config/types.js';
import { BadInputError } from '../errors.js';
import type { ColumnSpec } from './column-types.js';
import { PartMemory } from './part-io.js';
import { TableStore } from './table-store.js';

export interface TableOptions {
  ttlMs?: number | undefined;
  notFoundTtlMs: number;
  declared?: Record<string, ColumnSpec> | undefined;
  beforeCommit?: (() => void | Promise<void>) | undefined;
  onBackgroundError?: ((e: Error) => void) | undefined;
}

export class CacheStore {
  private readonly tables = new Map<string, TableStore>();
  private readonly memory: PartMemory;

  constructor(
    readonly cacheDir: string,
    private readonly limits: StoreLimits,
  ) {
    this.memory = new PartMemory(limits.memoryBudgetBytes);
  }

  /** The store of a table; `options` is called only when the table is first opened. */
  table(name: string, options: () => TableOptions): TableStore {
    let t = this.tables.get(name);
    if (!t) {
      // The name becomes a folder: only names matching the rule ever reach the file system.
      if (!TABLE_NAME.test(name)) {
        throw new BadInputError(
          `Table name ${JSON.stringify(name)} is not allowed: use letters, digits and _ (not first), at most 63 characters.`,
          { table: name },
        );
      }
      t = new TableStore({
        dir: path.join(this.cacheDir, name),
        table: name,
        limits: this.limits,
        memory: this.memory,
        ...options(),
      });
      this.tables.set(name, t);
    }
    return t;
  }

  /** Whether this process opened the table (its rows may not be on disk yet). */
  has(name: string): boolean {
    return this.tables.has(name);
  }

  /** Flushes every table's write buffer (and waits for running compactions). */
  async close(): Promise<void> {
    await Promise.all([...this.tables.values()].map((t) => t.close()));
  }
}
