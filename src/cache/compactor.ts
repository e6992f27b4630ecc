/**
 * When and how a process compacts one table in the background: merging many small deltas into
 * one, or folding the deltas into the base parts (compaction.ts) once they are large enough,
 * one run at a time, and readying the new parts for lookups before they are committed.
 */
import type { StoreLimits } from '../config/types.js';
import type { LogicalType } from './column-types.js';
import { CommitConflict } from './commit.js';
import { type CompactContext, compactTable, mergeDeltas } from './compaction.js';
import { typeOf } from './frames.js';
import type { PartEntry } from './manifest.js';
import type { RowPolicy } from './overlay.js';
import { PartIndex } from './part-io.js';
import type { TableParts } from './table-parts.js';
import { isMissingFile, type TableVersion } from './table-version.js';

export interface CompactorOptions {
  dir: string;
  table: string;
  limits: StoreLimits;
  version: TableVersion;
  parts: TableParts;
  policy(now: number): RowPolicy;
  /** Writes what waits in the write buffer as a delta. */
  flush(): Promise<void>;
  onBackgroundError?: ((e: Error) => void) | undefined;
}

export class Compactor {
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly opts: CompactorOptions) {}

  /** Starts background work if the committed deltas call for it and none is running. */
  maybeCompact(): void {
    if (this.running || this.stopped) return;
    const { limits, version } = this.opts;
    const m = version.m;
    const deltaRows = m.deltas.reduce((n, d) => n + d.rows, 0);
    const baseRows = m.parts.reduce((n, p) => n + p.rows, 0);
    // Folding deltas into the base rewrites the parts they touch: wait until the deltas are as
    // large as the base (so a fill rewrites each row about twice in all), but not past the bound
    // that keeps the in-memory delta index small.
    const rowLimit = Math.min(limits.compactDeltaRows, Math.max(10_000, baseRows));
    const work =
      deltaRows >= rowLimit
        ? this.compact()
        : m.deltas.length >= limits.compactDeltas
          ? this.mergeDeltas()
          : undefined;
    if (!work) return;
    this.running = work
      .catch((e: unknown) => this.opts.onBackgroundError?.(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        this.running = undefined;
      });
  }

  /**
   * Starts nothing more, and a background run under way commits nothing: it removes what it
   * wrote and the deltas stay for the next process. `close()` so returns once the buffer is
   * flushed, not after a compaction of the whole table (seconds at 1,000,000 rows).
   */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Backpressure from compaction. Committed deltas stay in this process's delta index, as JS
   * rows, until a compaction folds them; when a compaction of a large table takes longer than
   * the fetching, they piled up past the threshold (a 3,000,000-row fill held 1,000,000 delta
   * rows, 0.9 GB of heap). So while one runs and the deltas hold twice the threshold, writers
   * wait for it.
   */
  async room(): Promise<void> {
    const bound = 2 * this.opts.limits.compactDeltaRows;
    while (this.running && !this.stopped) {
      const rows = this.opts.version.m.deltas.reduce((n, d) => n + d.rows, 0);
      if (rows < bound) return;
      await this.running;
    }
  }

  /** Resolves when the background work under way (if any) is done. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Folds every committed delta into the base parts; drops expired rows and not-found IDs. */
  async compact(now = Date.now()): Promise<{ removedFiles: number; expiredRows: number }> {
    const { version } = this.opts;
    // What waits in the buffer is folded in too (it is flushed as a delta first).
    await this.opts.flush();
    const m = await version.current();
    const result = await compactTable(this.context(now), m).catch((e: unknown) => {
      // Another process compacted first and removed what we were reading: nothing to do now.
      if (isMissingFile(e)) return { committed: undefined, removedFiles: 0, expiredRows: 0 };
      throw e;
    });
    if (result.committed) await version.adoptCommitted(result.committed);
    return { removedFiles: result.removedFiles, expiredRows: result.expiredRows };
  }

  /** Many small deltas become one; the base parts are not touched. */
  private async mergeDeltas(): Promise<void> {
    const { version } = this.opts;
    const m = await version.current();
    const committed = await mergeDeltas(this.context(Date.now()), m).catch((e: unknown) => {
      if (isMissingFile(e)) return undefined;
      throw e;
    });
    if (committed) await version.adoptCommitted(committed);
  }

  private context(now: number): CompactContext {
    const { dir, table, limits, parts, version } = this.opts;
    return {
      dir,
      table,
      limits,
      memory: parts.memory,
      policy: this.opts.policy(now),
      loadPart: (p, s) => parts.read(p, s),
      scanPart: (p, s) => parts.scan(p, s),
      commit: (b) =>
        this.stopped
          ? Promise.reject(new CommitConflict(`the store of table "${table}" was closed during compaction`))
          : version.commit(b),
      prepare: (added) => this.prepareParts(added),
    };
  }

  /**
   * Builds the JS index of new parts before the version naming them is committed, with the
   * columns lookups were reading from the parts they replace: once it is committed, a lookup's
   * `current()` adopts it from disk at once, and one that had to index a 1M-row part itself
   * stalled the process for seconds. Parts nobody looked up (a cold fill) are left alone:
   * building indexes nobody reads cost a fill memory and time.
   */
  private async prepareParts(added: readonly PartEntry[]): Promise<void> {
    const { memory } = this.opts.parts;
    const m = this.opts.version.m;
    const hot = new Set<string>();
    for (const p of m.parts) {
      for (const c of memory.cachedIndex(p.file)?.decoded() ?? []) hot.add(c);
    }
    if (hot.size === 0) return;
    const columns = [...hot].map((c): [string, LogicalType | undefined] => [
      c,
      c.startsWith('_cg_') ? 'float' : typeOf(m.schema, c),
    ]);
    for (const part of added) {
      if (memory.cachedIndex(part.file)) continue;
      const df = memory.get(part.file);
      if (!df) continue;
      memory.putIndex(part.file, await PartIndex.build(df, columns));
    }
  }
}
