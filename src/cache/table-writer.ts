/**
 * The write path of one table: a fetched batch is checked and put in the write buffer (visible to
 * lookups at once); a background flusher writes the buffer as one delta file and commits it.
 */
import { mkdir } from 'node:fs/promises';
import type { StoreLimits } from '../config/types.js';
import { type ColumnSpec, coerceColumn } from './column-types.js';
import { encodeDeltaOffThread } from './delta-encoder.js';
import type { DeltaFile } from './delta-index.js';
import { weigh } from './native-weight.js';
import type { OverlayRow } from './overlay.js';
import { newPartName, readPartFile, writePartFile } from './part-io.js';
import { applySchema, type PendingSchema, SchemaConflict } from './schema-evolution.js';
import type { TableVersion } from './table-version.js';
import type { WriteBuffer } from './write-buffer.js';

export interface BatchWrite {
  rows: ReadonlyArray<Record<string, unknown>>;
  /** Columns this batch fetched: written for every row (a null is an upstream null). */
  columns: readonly string[];
  /** IDs asked for and not returned. */
  notFound: readonly string[];
  fetchedAt: number;
}

export interface TableWriterOptions {
  dir: string;
  table: string;
  limits: StoreLimits;
  declared?: Record<string, ColumnSpec> | undefined;
  version: TableVersion;
  pending: PendingSchema;
  buffer: WriteBuffer;
  onBackgroundError?: ((e: Error) => void) | undefined;
  /** Runs after each delta is committed (compaction scheduling). */
  afterFlush(): void;
}

export class TableWriter {
  private flushTimer: NodeJS.Timeout | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private flushFailures = 0;
  /** Callers of `flushed()`, waiting for the flush that takes the buffer's rows. */
  private flushWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly opts: TableWriterOptions) {}

  /**
   * Validates a fetched batch and puts it in the write buffer, where every lookup of this
   * process sees it at once. Resolves without waiting for the disk, unless the buffer is over
   * its budget (backpressure: then it waits for a flush). Throws, writing nothing, when a value
   * does not fit its column (TypeConflictError).
   */
  async write(batch: BatchWrite): Promise<void> {
    const { version, pending, buffer } = this.opts;
    const m = await version.current();
    const types = pending.typesFor(m, batch);
    const n = batch.rows.length;
    const ids = batch.rows.map((r) => String(r['id']));
    const values = batch.columns.map((c) => {
      const spec: ColumnSpec = { type: types[c]!, idLike: this.opts.declared?.[c]?.idLike ?? false };
      return coerceColumn(
        this.opts.table,
        c,
        spec,
        batch.rows.map((r) => r[c]),
        ids,
      );
    });
    // Everything was checked before anything is added: a refused batch leaves no row behind.
    pending.note(m, batch, types);
    const at = batch.fetchedAt;
    // Every row of the batch has the same stamps: they share one object (mergeRow copies it
    // before changing it). Held once per row, it was a third of the delta index's heap.
    const stamps: Record<string, number> = {};
    for (const c of batch.columns) stamps[c] = at;
    for (let i = 0; i < n; i++) {
      const row: OverlayRow = { values: {}, at: stamps, ok: at };
      for (let j = 0; j < batch.columns.length; j++) row.values[batch.columns[j]!] = values[j]![i];
      buffer.rows.add(ids[i]!, row);
    }
    for (const id of batch.notFound) buffer.rows.add(id, { values: {}, at: {}, nf: at });
    this.scheduleFlush();
    if (buffer.full) {
      void this.flush().catch(() => undefined);
      await buffer.room();
    }
  }

  private scheduleFlush(): void {
    const { buffer, limits } = this.opts;
    if (buffer.rows.size >= limits.flushRows || buffer.rows.bytes >= buffer.budgetBytes / 2) {
      void this.flush().catch(() => undefined);
      return;
    }
    // Not unref'd: a pending flush keeps the process alive, so a script that ends without
    // close() still leaves its rows on disk.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch(() => undefined);
    }, limits.flushIntervalMs);
  }

  /** Writes the buffer as one delta file and commits it; resolves when it is durable. */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Resolves once every row written so far is in a committed delta, without a flush of its own:
   * the timer's flush (or one started by size) takes them, so waiting for durability does not
   * make deltas smaller than they would be anyway. Rejects if that flush fails.
   */
  flushed(): Promise<void> {
    // Nothing waits in the buffer: the flush under way, if any, holds what was written.
    if (this.opts.buffer.rows.size === 0) return this.flushChain;
    // The flusher gave up retrying by itself: start one, or this would wait for the next write.
    if (this.flushFailures >= 5) return this.flush();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  /** Resolves every `flushed()` waiter: the rows they wait for are gone (a whole-table invalidate). */
  releaseWaiters(): void {
    for (const w of this.flushWaiters.splice(0)) w.resolve();
  }

  /** Stops the flush timer (after a last flush). */
  stop(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private async flushOnce(): Promise<void> {
    const { dir, table, version, pending, buffer } = this.opts;
    this.stop();
    const rows = buffer.take();
    if (!rows) return;
    const waiting = this.flushWaiters.splice(0);
    const change = pending.snapshot();
    let failed = false;
    try {
      const encoded = { ...version.m.schema, ...change.types };
      const data = await encodeDeltaOffThread(rows.rows, encoded);
      const file = newPartName('delta');
      await mkdir(dir, { recursive: true });
      await writePartFile(dir, file, data);
      // The index keeps the delta's rows in its frame, not as the buffer's JS rows (row i of
      // the file is the buffer's i-th ID: the encoder lays them out in that order).
      const own: DeltaFile = {
        name: file,
        df: weigh(await readPartFile(dir, file)),
        ids: [...rows.ids()],
        schema: encoded,
      };
      const committed = await version.commit(({ untyped: _, ...latest }) => ({
        ...latest,
        ...applySchema(table, latest, change),
        deltas: [...latest.deltas, { file, rows: rows.size, bytes: data.length }],
      }));
      version.deltas.addOwn(own);
      if (committed) await version.adoptCommitted(committed);
      this.flushFailures = 0;
      for (const w of waiting) w.resolve();
    } catch (e) {
      failed = true;
      for (const w of waiting) w.reject(e);
      this.opts.onBackgroundError?.(e instanceof Error ? e : new Error(String(e)));
      if (e instanceof SchemaConflict) {
        pending.reset();
        throw e;
      }
      buffer.restore(rows);
      this.flushFailures++;
      if (this.flushFailures < 5) this.scheduleFlush();
      throw e;
    } finally {
      buffer.settled(failed);
    }
    this.opts.afterFlush();
  }
}
