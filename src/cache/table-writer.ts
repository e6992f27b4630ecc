/**
 * The write path of one table: a fetched batch is checked and put in the write buffer (visible to
 * lookups at once); a background flusher writes the buffer as delta files (the bulk batches' frames
 * in one, the other rows in another) and commits them as one version.
 */
import { mkdir } from 'node:fs/promises';
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { type ColumnSpec, coerceColumn, dtypeOf } from './column-types.js';
import { deltaFrameOffThread, encodeDeltaOffThread } from './delta-encoder.js';
import type { DeltaFile, DeltaLayer } from './delta-index.js';
import { batchColumns } from './delta-io.js';
import type { TableSchema } from './frames.js';
import type { DeltaEntry } from './manifest.js';
import { weigh } from './native-weight.js';
import type { Overlay, OverlayRow } from './overlay.js';
import { newPartName, readPartFile, writePartFile } from './part-io.js';
import { sinkNewFile } from './part-writer.js';
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
  /** Frames added to the buffer so far (their names in it). */
  private frames = 0;
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
    if (n >= FRAME_ROWS) {
      // A bulk batch goes to the buffer as a frame, built in the encoder's worker: its values
      // leave the JS heap once posted there, rather than at its flush (they were most of a
      // fill's garbage collection), and this resolves without waiting for the frame: lookups
      // and flushes wait for it (WriteBuffer.ready).
      const all = batch.notFound.length === 0 ? ids : [...ids, ...batch.notFound];
      const laid = batch.columns.map((name, j) => ({ name, type: types[name]!, values: values[j]! }));
      const schema = { ...m.schema, ...types };
      const name = `buffer-${++this.frames}`;
      const estimate = all.length * (64 + 24 * laid.length);
      buffer.building(
        deltaFrameOffThread(batchColumns(all, n, laid, at)).then(
          ({ df, bytes }) => buffer.addFrame({ name, df, ids: all, schema }, bytes),
          (e: unknown) =>
            this.opts.onBackgroundError?.(
              new Error(
                `table "${this.opts.table}": a fetched batch of ${n} rows could not be buffered, so it is not cached; the next request for those IDs fetches them again (${e instanceof Error ? e.message : String(e)})`,
              ),
            ),
        ),
        all.length,
        estimate,
      );
    } else {
      // Every row of the batch has the same stamps: they share one object (mergeRow copies it
      // before changing it).
      const stamps: Record<string, number> = {};
      for (const c of batch.columns) stamps[c] = at;
      for (let i = 0; i < n; i++) {
        const row: OverlayRow = { values: {}, at: stamps, ok: at };
        for (let j = 0; j < batch.columns.length; j++) row.values[batch.columns[j]!] = values[j]![i];
        buffer.rows.add(ids[i]!, row);
      }
      for (const id of batch.notFound) buffer.rows.add(id, { values: {}, at: {}, nf: at });
    }
    this.scheduleFlush();
    if (buffer.full) {
      void this.flush().catch(() => undefined);
      await buffer.room();
    }
  }

  private scheduleFlush(): void {
    const { buffer, limits } = this.opts;
    if (buffer.waiting >= limits.flushRows || buffer.waitingBytes >= buffer.budgetBytes / 2) {
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

  /** Writes the buffer as delta files and commits them; resolves when they are durable. */
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
    if (this.opts.buffer.waiting === 0) return this.flushChain;
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
    // Every frame posted before the take is in it (a write may post one while we wait).
    for (let frames = buffer.ready(); frames; frames = buffer.ready()) await frames;
    const taken = buffer.take();
    if (!taken) {
      // Nothing to write (a frame that could not be built): waiters for it must not hang.
      for (const w of this.flushWaiters.splice(0)) w.resolve();
      buffer.settled(false);
      return;
    }
    const waiting = this.flushWaiters.splice(0);
    const change = pending.snapshot();
    let failed = false;
    try {
      const schema = { ...version.m.schema, ...change.types };
      await mkdir(dir, { recursive: true });
      // Up to two delta files in one version: the bulk batches' frames, then the overlay rows.
      const files: FlushedDelta[] = [];
      if (taken.frames.size > 0) files.push(await this.writeFrames(taken.frames, taken.frameBytes, schema));
      if (taken.rows.size > 0) files.push(await this.writeRows(taken.rows, schema));
      const committed = await version.commit(({ untyped: _, ...latest }) => ({
        ...latest,
        ...applySchema(table, latest, change),
        deltas: [...latest.deltas, ...files.map((f) => f.entry)],
      }));
      for (const f of files) version.deltas.addOwn(f.own);
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
      buffer.restore(taken);
      this.flushFailures++;
      if (this.flushFailures < 5) this.scheduleFlush();
      throw e;
    } finally {
      buffer.settled(failed);
    }
    this.opts.afterFlush();
  }

  /**
   * The buffer's frames as one delta file, encoded in polars' thread pool; the index keeps the
   * frame itself (rows of several batches in one file, each ID as often as it was fetched).
   */
  private async writeFrames(frames: DeltaLayer, bytes: number, schema: TableSchema): Promise<FlushedDelta> {
    // Each frame has its batch's types; a column typed later (first seen as nulls only) is cast
    // to the flush's type, or the frames would not concatenate.
    const dfs = frames.files.map((f) => {
      const dtypes = f.df.dtypes;
      const casts = f.df.columns.flatMap((c, i) => {
        const type = Object.hasOwn(schema, c) ? schema[c] : undefined;
        return type !== undefined && !dtypes[i]!.equals(dtypeOf(type)) ? [pl.col(c).cast(dtypeOf(type))] : [];
      });
      return casts.length > 0 ? f.df.withColumns(...casts) : f.df;
    });
    const df = weigh(dfs.length === 1 ? dfs[0]! : pl.concat(dfs, { how: 'diagonal', rechunk: false }), bytes);
    const ids: string[] = [];
    for (const f of frames.files) for (const id of f.ids) ids.push(id);
    const file = newPartName('delta');
    const size = await sinkNewFile(this.opts.dir, file, df.lazy());
    return { entry: { file, rows: df.height, bytes: size }, own: { name: file, df, ids, schema } };
  }

  /** The buffer's overlay rows as one delta file, encoded in the worker and read back off the loop. */
  private async writeRows(rows: Overlay, schema: TableSchema): Promise<FlushedDelta> {
    const { dir } = this.opts;
    const data = await encodeDeltaOffThread(rows.rows, schema);
    const file = newPartName('delta');
    await writePartFile(dir, file, data);
    // The index keeps the delta's rows in its frame, not as the buffer's JS rows (row i of
    // the file is the buffer's i-th ID: the encoder lays them out in that order).
    const own: DeltaFile = {
      name: file,
      df: weigh(await readPartFile(dir, file)),
      ids: [...rows.ids()],
      schema,
    };
    return { entry: { file, rows: rows.size, bytes: data.length }, own };
  }
}

/** A delta file a flush wrote: its manifest entry, and what the delta index keeps of it. */
interface FlushedDelta {
  entry: DeltaEntry;
  own: DeltaFile;
}

/** A batch of at least this many rows goes to the write buffer as a frame. */
const FRAME_ROWS = 1_000;
