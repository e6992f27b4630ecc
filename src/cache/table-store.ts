/**
 * One table of the Parquet cache, merge-on-read (DESIGN §2): lookups merge base parts, deltas
 * and this process's write buffer by the newest fetch stamp per (ID, column); writes go to the
 * write buffer (visible at once) and a background flusher appends them as delta files
 * (table-writer.ts); compaction folds deltas into base parts later (compactor.ts,
 * compaction.ts). The version a process follows and its commits: table-version.ts.
 */
import type pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import type { ColumnSpec } from './column-types.js';
import type { CommitOptions } from './commit.js';
import { Compactor } from './compactor.js';
import type { TableSchema } from './frames.js';
import { lookupView, type StoreLookup, type TableView } from './lookup.js';
import type { Manifest, PartEntry } from './manifest.js';
import type { OverlayLayer, OverlayRow, RowPolicy } from './overlay.js';
import type { PartMemory } from './part-io.js';
import { countLiveRows } from './row-count.js';
import { PendingSchema } from './schema-evolution.js';
import { nextStamp } from './stamp.js';
import { TableParts } from './table-parts.js';
import { isMissingFile, TableVersion } from './table-version.js';
import { type BatchWrite, TableWriter } from './table-writer.js';
import { WriteBuffer } from './write-buffer.js';

export type { StoreLookup } from './lookup.js';
export type { BatchWrite } from './table-writer.js';

export interface TableStoreOptions {
  dir: string;
  table: string;
  limits: StoreLimits;
  memory: PartMemory;
  /** Milliseconds a fetched column stays fresh; forever when absent. */
  ttlMs?: number | undefined;
  notFoundTtlMs: number;
  /** Columns declared in the config: their types win over inference. */
  declared?: Record<string, ColumnSpec> | undefined;
  /** Largest lookup served by the JS path (default 2,000 IDs); tests set 0 to force polars. */
  smallLookupMax?: number | undefined;
  /** Test seam: runs after the new files are durable and before a version is committed. */
  beforeCommit?: CommitOptions['beforeCommit'];
  /** Called with errors of background work (flush, compaction) that no caller awaits. */
  onBackgroundError?: ((e: Error) => void) | undefined;
}

/**
 * Up to this many IDs, a lookup runs in JS over the part index instead of in polars: polars'
 * per-call overhead dominates small lookups, its vectorised joins win on large ones.
 */
const SMALL_LOOKUP = 2_000;

export class TableStore {
  readonly table: string;
  private readonly version: TableVersion;
  private readonly parts: TableParts;
  private readonly buffer: WriteBuffer;
  private readonly pending: PendingSchema;
  private readonly writer: TableWriter;
  private readonly compactor: Compactor;

  constructor(private readonly opts: TableStoreOptions) {
    const { dir, table, limits } = opts;
    this.table = table;
    this.buffer = new WriteBuffer(limits.writeBufferBytes);
    this.pending = new PendingSchema(opts.declared);
    this.version = new TableVersion(dir, table, this.pending, opts.beforeCommit);
    this.parts = new TableParts(dir, opts.memory);
    this.compactor = new Compactor({
      dir,
      table,
      limits,
      version: this.version,
      parts: this.parts,
      policy: (now) => this.policy(now),
      flush: () => this.flush(),
      onBackgroundError: opts.onBackgroundError,
    });
    this.writer = new TableWriter({
      dir,
      table,
      limits,
      declared: opts.declared,
      version: this.version,
      pending: this.pending,
      buffer: this.buffer,
      onBackgroundError: opts.onBackgroundError,
      afterFlush: () => this.compactor.maybeCompact(),
    });
  }

  private policy(now: number): RowPolicy {
    return {
      now,
      ttlMs: this.opts.ttlMs,
      notFoundTtlMs: this.opts.notFoundTtlMs,
      truncatedAt: this.version.m.truncatedAt,
    };
  }

  /** The latest committed version, re-read only when the manifest file changed on disk. */
  current(): Promise<Manifest> {
    return this.version.current();
  }

  private view(): TableView {
    const v = this.version;
    const all: Array<OverlayLayer | undefined> = [v.deltas.rows, ...this.buffer.layers()];
    const layers = all.filter((o): o is OverlayLayer => o !== undefined && o.size > 0);
    const m = v.m;
    return {
      m,
      schema: this.schema(),
      slots: v.slots,
      bySlot: v.bySlot,
      notFound: v.notFound,
      overlays: layers,
      overlay: (id) => {
        let out: OverlayRow[] | undefined;
        for (const o of layers) {
          const r = o.get(id);
          if (!r) continue;
          if (out) out.push(r);
          else out = [r];
        }
        return out;
      },
      query: (p, ids) => this.parts.query(p, m.schema, ids),
      index: async (p) => this.parts.index(p),
      holds: (p) => this.parts.holds(p),
    };
  }

  private schema(): TableSchema {
    return this.pending.effective(this.version.m);
  }

  lookup(ids: readonly string[], columns: readonly string[], now = Date.now()): Promise<StoreLookup> {
    return this.retrying(async () => {
      // Bulk batches written before this lookup are visible to it (their frames are being built).
      await this.buffer.ready();
      await this.current();
      return lookupView(
        this.view(),
        ids,
        columns,
        this.policy(now),
        this.opts.smallLookupMax ?? SMALL_LOOKUP,
      );
    });
  }

  /**
   * Runs a read of the current version again when a file it names is gone: a compaction (here
   * or in another process) removes the files it replaced at once, and the newer manifest names
   * their replacement.
   */
  private async retrying<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read();
      } catch (e) {
        if (attempt >= 4 || !isMissingFile(e)) throw e;
        this.version.reload();
      }
    }
  }

  /** A part as written (it may predate columns added since). */
  loadRaw(part: PartEntry): Promise<pl.DataFrame> {
    return this.parts.raw(part);
  }

  /**
   * Validates a fetched batch and puts it in the write buffer, where every lookup of this
   * process sees it at once (see TableWriter.write).
   */
  async write(batch: BatchWrite): Promise<void> {
    await this.writer.write(batch);
    // Bulk writes (a fill's batches) wait while a compaction lags far behind (Compactor.room);
    // a small miss is answered at once, whatever the compaction does.
    if (batch.rows.length >= BULK_ROWS) await this.compactor.room();
  }

  /** Writes the buffer as one delta file and commits it; resolves when it is durable. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Resolves once every row written so far is in a committed delta, without a flush of its own
   * (see TableWriter.flushed).
   */
  flushed(): Promise<void> {
    return this.writer.flushed();
  }

  /** Folds every committed delta into the base parts; drops expired rows and not-found IDs. */
  compact(now = Date.now()): Promise<{ removedFiles: number; expiredRows: number }> {
    return this.compactor.compact(now);
  }

  /** Drops rows (all, or those IDs) without rewriting them: tombstones, or a truncate stamp. */
  async invalidate(ids?: readonly string[]): Promise<number> {
    await this.buffer.ready();
    await this.current();
    if (ids) {
      const found = await this.lookup(ids, []);
      const count = found.records().length;
      const at = nextStamp();
      for (const id of ids) this.buffer.rows.add(id, { values: {}, at: {}, del: at });
      await this.flush();
      return count;
    }
    const count = await this.liveRows();
    const at = nextStamp();
    this.buffer.clear();
    // Their rows are gone with the table: nothing left to wait for.
    this.writer.releaseWaiters();
    const committed = await this.version.commit((latest) => ({
      ...latest,
      parts: [],
      deltas: [],
      notFound: null,
      truncatedAt: at,
    }));
    if (committed) {
      const before = this.version.m;
      await this.version.adoptCommitted(committed);
      await Promise.all([...before.parts, ...before.deltas].map((f) => this.parts.remove(f.file)));
    }
    return count;
  }

  private liveRows(): Promise<number> {
    return this.retrying(async () => {
      await this.buffer.ready();
      await this.current();
      return countLiveRows(
        this.version,
        this.parts,
        [this.version.deltas.rows, ...this.buffer.layers()],
        (ids) => this.lookup(ids, []),
      );
    });
  }

  /** Resolves when the background compaction or delta merge under way, if any, is done. */
  settled(): Promise<void> {
    return this.compactor.idle();
  }

  /** Flushes what waits; a background compaction under way is abandoned, not waited for. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.writer.stop();
    this.compactor.stop();
  }

  /** What waits in the write buffer (and the flush under way). */
  buffered(): { rows: number; bytes: number } {
    return { rows: this.buffer.size, bytes: this.buffer.bytes };
  }

  async stats(): Promise<{ rows: number; parts: number; deltas: number; bytes: number }> {
    const m = await this.current();
    return {
      rows: await this.liveRows(),
      parts: m.parts.length,
      deltas: m.deltas.length,
      bytes: [...m.parts, ...m.deltas].reduce((n, p) => n + p.bytes, 0),
    };
  }
}

/** A write of at least this many rows is a bulk write, which compaction may hold back. */
const BULK_ROWS = 1_000;
