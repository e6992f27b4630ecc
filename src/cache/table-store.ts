/**
 * One table of the Parquet cache, merge-on-read (DESIGN §2): lookups merge base parts, deltas
 * and this process's write buffer by the newest fetch stamp per (ID, column); writes go to the
 * write buffer (visible at once) and a background flusher appends them as delta files;
 * compaction folds deltas into base parts later (compaction.ts). Versions are committed
 * lock-free (commit.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { type ColumnSpec, coerceColumn, type LogicalType } from './column-types.js';
import { type CommitOptions, commitVersion } from './commit.js';
import { type CompactContext, compactTable, mergeDeltas } from './compaction.js';
import { encodeDeltaOffThread } from './delta-encoder.js';
import { DeltaIndex } from './delta-index.js';
import { alignToSchema, partColumns, type TableSchema, typeOf } from './frames.js';
import { SlotIndex, slotName } from './hash.js';
import { lookupView, type StoreLookup, type TableView } from './lookup.js';
import {
  emptyManifest,
  type Manifest,
  type ManifestStamp,
  type PartEntry,
  readLatest,
  sameStamp,
  stampOf,
} from './manifest.js';
import { readNotFound } from './not-found.js';
import type { Overlay, OverlayRow, RowPolicy } from './overlay.js';
import { newPartName, PartIndex, type PartMemory, readPartFile, writePartFile } from './part-io.js';
import { applySchema, PendingSchema, SchemaConflict } from './schema-evolution.js';
import { nextStamp } from './stamp.js';
import { WriteBuffer } from './write-buffer.js';

export type { StoreLookup } from './lookup.js';

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

export interface BatchWrite {
  rows: ReadonlyArray<Record<string, unknown>>;
  /** Columns this batch fetched: written for every row (a null is an upstream null). */
  columns: readonly string[];
  /** IDs asked for and not returned. */
  notFound: readonly string[];
  fetchedAt: number;
}

export class TableStore {
  readonly table: string;
  private readonly dir: string;
  private m: Manifest;
  private stamp: ManifestStamp | undefined;
  private loaded = false;
  private syncing: Promise<void> | undefined;
  private notFound = new Map<string, number>();
  private notFoundFile: string | null = null;
  /** Rows of the committed deltas this process has read. */
  private readonly deltas = new DeltaIndex();
  private slots = new SlotIndex([]);
  /** The manifest's parts by slot name, built once per version. */
  private bySlot = new Map<string, PartEntry>();
  private readonly buffer: WriteBuffer;
  private readonly pending: PendingSchema;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushChain: Promise<void> = Promise.resolve();
  private flushFailures = 0;
  /** Callers of `flushed()`, waiting for the flush that takes the buffer's rows. */
  private flushWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private compacting: Promise<unknown> | undefined;
  /** Commits of this process to this table, one at a time (others are retried by commit.ts). */
  private commits: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: TableStoreOptions) {
    this.table = opts.table;
    this.dir = opts.dir;
    this.m = emptyManifest(opts.table);
    this.buffer = new WriteBuffer(opts.limits.writeBufferBytes);
    this.pending = new PendingSchema(opts.declared);
  }

  private policy(now: number): RowPolicy {
    return {
      now,
      ttlMs: this.opts.ttlMs,
      notFoundTtlMs: this.opts.notFoundTtlMs,
      truncatedAt: this.m.truncatedAt,
    };
  }

  /** The latest committed version, re-read only when the manifest file changed on disk. */
  async current(): Promise<Manifest> {
    const stamp = await stampOf(this.dir);
    if (this.loaded && sameStamp(stamp, this.stamp)) return this.m;
    this.syncing ??= this.sync(stamp).finally(() => {
      this.syncing = undefined;
    });
    await this.syncing;
    return this.m;
  }

  private async sync(stamp: ManifestStamp | undefined): Promise<void> {
    // Another process's compaction may remove a delta between our manifest read and the file
    // read; its newer version names the part that holds those rows now.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.adopt(await readLatest(this.dir, this.table));
        this.stamp = stamp;
        this.loaded = true;
        return;
      } catch (e) {
        if (attempt >= 9 || !isMissingFile(e)) throw e;
      }
    }
  }

  /** Takes `m` as the current version: reads its new deltas (or rebuilds the index after a compaction). */
  private async adopt(m: Manifest): Promise<void> {
    if (m.version < this.m.version && this.loaded) return;
    if (m.notFound !== this.notFoundFile) {
      this.notFound = m.notFound ? await readNotFound(this.dir, m.notFound) : new Map();
      this.notFoundFile = m.notFound;
    }
    await this.deltas.follow(this.dir, m);
    this.m = m;
    this.slots = new SlotIndex(m.parts);
    this.bySlot = new Map(m.parts.map((p) => [slotName(p), p]));
    this.pending.adopt(m);
  }

  private view(): TableView {
    const layers = [this.deltas.rows, this.buffer.flushing, this.buffer.rows].filter(
      (o): o is Overlay => o !== undefined && o.size > 0,
    );
    return {
      m: this.m,
      schema: this.schema(),
      slots: this.slots,
      bySlot: this.bySlot,
      notFound: this.notFound,
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
      part: (p) => this.loadPart(p, this.m.schema),
      index: async (p) => this.partIndex(p),
    };
  }

  private schema(): TableSchema {
    return this.pending.effective(this.m);
  }

  async lookup(ids: readonly string[], columns: readonly string[], now = Date.now()): Promise<StoreLookup> {
    // A writer in another process may delete a file between our manifest read and the file
    // read; the newer manifest then names its replacement, so re-read and try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.current();
        return await lookupView(
          this.view(),
          ids,
          columns,
          this.policy(now),
          this.opts.smallLookupMax ?? SMALL_LOOKUP,
        );
      } catch (e) {
        if (attempt >= 4 || !isMissingFile(e)) throw e;
        this.loaded = false;
      }
    }
  }

  /** A part as written (it may predate columns added since). */
  async loadRaw(part: PartEntry): Promise<pl.DataFrame> {
    return (await this.rawBox(part)).df;
  }

  /**
   * The part in a box: nodejs-polars wraps a DataFrame in a Proxy whose every property read
   * (including the `then` a promise checks when it resolves) calls into native code, which made
   * awaiting a cached frame cost more than the lookup itself.
   */
  private async rawBox(part: PartEntry): Promise<{ df: pl.DataFrame }> {
    let df = this.opts.memory.get(part.file);
    if (!df) {
      df = await readPartFile(this.dir, part.file);
      this.opts.memory.set(part.file, df, part.bytes);
    }
    return { df };
  }

  /** A part with every column of `schema`. */
  async loadPart(part: PartEntry, schema: TableSchema): Promise<pl.DataFrame> {
    const df = await this.loadRaw(part);
    return df.width === partColumns(schema).length ? df : alignToSchema(df, schema);
  }

  private async partIndex(part: PartEntry): Promise<PartIndex> {
    const cached = this.opts.memory.cachedIndex(part.file);
    return cached ?? this.opts.memory.index(part.file, (await this.rawBox(part)).df);
  }

  /**
   * Validates a fetched batch and puts it in the write buffer, where every lookup of this
   * process sees it at once. Resolves without waiting for the disk, unless the buffer is over
   * its budget (backpressure: then it waits for a flush). Throws, writing nothing, when a value
   * does not fit its column (TypeConflictError).
   */
  async write(batch: BatchWrite): Promise<void> {
    await this.current();
    const types = this.pending.typesFor(this.m, batch);
    const n = batch.rows.length;
    const ids = batch.rows.map((r) => String(r['id']));
    const values = batch.columns.map((c) => {
      const spec: ColumnSpec = { type: types[c]!, idLike: this.opts.declared?.[c]?.idLike ?? false };
      return coerceColumn(
        this.table,
        c,
        spec,
        batch.rows.map((r) => r[c]),
        ids,
      );
    });
    // Everything was checked before anything is added: a refused batch leaves no row behind.
    this.pending.note(this.m, batch, types);
    const at = batch.fetchedAt;
    for (let i = 0; i < n; i++) {
      const row: OverlayRow = { values: {}, at: {}, ok: at };
      for (let j = 0; j < batch.columns.length; j++) {
        const c = batch.columns[j]!;
        row.values[c] = values[j]![i];
        row.at[c] = at;
      }
      this.buffer.rows.add(ids[i]!, row);
    }
    for (const id of batch.notFound) this.buffer.rows.add(id, { values: {}, at: {}, nf: at });
    this.scheduleFlush();
    if (this.buffer.full) {
      void this.flush().catch(() => undefined);
      await this.buffer.room();
    }
  }

  private scheduleFlush(): void {
    if (
      this.buffer.rows.size >= this.opts.limits.flushRows ||
      this.buffer.rows.bytes >= this.buffer.budgetBytes / 2
    ) {
      void this.flush().catch(() => undefined);
      return;
    }
    // Not unref'd: a pending flush keeps the process alive, so a script that ends without
    // close() still leaves its rows on disk.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch(() => undefined);
    }, this.opts.limits.flushIntervalMs);
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
    if (this.buffer.rows.size === 0) return this.flushChain;
    // The flusher gave up retrying by itself: start one, or this would wait for the next write.
    if (this.flushFailures >= 5) return this.flush();
    return new Promise((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  private async flushOnce(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    const rows = this.buffer.take();
    if (!rows) return;
    const waiting = this.flushWaiters.splice(0);
    const change = this.pending.snapshot();
    let failed = false;
    try {
      const data = await encodeDeltaOffThread(rows.rows, { ...this.m.schema, ...change.types });
      const file = newPartName('delta');
      await mkdir(this.dir, { recursive: true });
      await writePartFile(this.dir, file, data);
      const committed = await this.commit(({ untyped: _, ...latest }) => ({
        ...latest,
        ...applySchema(this.table, latest, change),
        deltas: [...latest.deltas, { file, rows: rows.size, bytes: data.length }],
      }));
      // Our own delta is indexed from memory, not read back.
      this.deltas.addOwn(file, rows);
      if (committed) await this.adoptCommitted(committed);
      this.flushFailures = 0;
      for (const w of waiting) w.resolve();
    } catch (e) {
      failed = true;
      for (const w of waiting) w.reject(e);
      this.opts.onBackgroundError?.(e instanceof Error ? e : new Error(String(e)));
      if (e instanceof SchemaConflict) {
        this.pending.reset();
        throw e;
      }
      this.buffer.restore(rows);
      this.flushFailures++;
      if (this.flushFailures < 5) this.scheduleFlush();
      throw e;
    } finally {
      this.buffer.settled(failed);
    }
    this.maybeCompact();
  }

  private async adoptCommitted(m: Manifest): Promise<void> {
    try {
      await this.adopt(m);
      // No stamp: stat-ing manifest.json now could record a newer version another process
      // published since ours, which would then never be read. The next lookup re-reads it.
      this.stamp = undefined;
      this.loaded = true;
    } catch (e) {
      if (!isMissingFile(e)) throw e;
      this.loaded = false;
      await this.current();
    }
  }

  private commit(
    build: (latest: Manifest) => Omit<Manifest, 'version'> | undefined,
  ): Promise<Manifest | undefined> {
    const run = this.commits.then(() =>
      commitVersion(this.dir, this.table, build, { beforeCommit: this.opts.beforeCommit }),
    );
    this.commits = run.catch(() => undefined);
    return run;
  }

  private maybeCompact(): void {
    const { compactDeltas, compactDeltaRows } = this.opts.limits;
    const deltaRows = this.m.deltas.reduce((n, d) => n + d.rows, 0);
    const baseRows = this.m.parts.reduce((n, p) => n + p.rows, 0);
    // Folding deltas into the base rewrites the parts they touch: wait until the deltas are as
    // large as the base (so a fill rewrites each row about twice in all), but not past the bound
    // that keeps the in-memory delta index small.
    const rowLimit = Math.min(compactDeltaRows, Math.max(10_000, baseRows));
    if (this.compacting) return;
    const work =
      deltaRows >= rowLimit
        ? this.compact()
        : this.m.deltas.length >= compactDeltas
          ? this.mergeDeltas()
          : undefined;
    if (!work) return;
    this.compacting = work
      .catch((e: unknown) => this.opts.onBackgroundError?.(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        this.compacting = undefined;
      });
  }

  private compactContext(now: number): CompactContext {
    return {
      dir: this.dir,
      table: this.table,
      limits: this.opts.limits,
      memory: this.opts.memory,
      policy: this.policy(now),
      loadPart: (p, s) => this.loadPart(p, s),
      commit: (b) => this.commit(b),
      prepare: (parts) => this.prepareParts(parts),
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
    const hot = new Set<string>();
    for (const p of this.m.parts) {
      for (const c of this.opts.memory.cachedIndex(p.file)?.decoded() ?? []) hot.add(c);
    }
    if (hot.size === 0) return;
    const columns = [...hot].map((c): [string, LogicalType | undefined] => [
      c,
      c.startsWith('_cg_') ? 'float' : typeOf(this.m.schema, c),
    ]);
    for (const part of added) {
      if (this.opts.memory.cachedIndex(part.file)) continue;
      const df = this.opts.memory.get(part.file);
      if (!df) continue;
      this.opts.memory.putIndex(part.file, await PartIndex.build(df, columns));
    }
  }

  /** Many small deltas become one; the base parts are not touched. */
  private async mergeDeltas(): Promise<void> {
    await this.current();
    const committed = await mergeDeltas(this.compactContext(Date.now()), this.m).catch((e: unknown) => {
      if (isMissingFile(e)) return undefined;
      throw e;
    });
    if (committed) await this.adoptCommitted(committed);
  }

  /** Folds every committed delta into the base parts; drops expired rows and not-found IDs. */
  async compact(now = Date.now()): Promise<{ removedFiles: number; expiredRows: number }> {
    // What waits in the buffer is folded in too (it is flushed as a delta first).
    await this.flush();
    await this.current();
    const result = await compactTable(this.compactContext(now), this.m).catch((e: unknown) => {
      // Another process compacted first and removed what we were reading: nothing to do now.
      if (isMissingFile(e)) return { committed: undefined, removedFiles: 0, expiredRows: 0 };
      throw e;
    });
    if (result.committed) await this.adoptCommitted(result.committed);
    return { removedFiles: result.removedFiles, expiredRows: result.expiredRows };
  }

  /** Drops rows (all, or those IDs) without rewriting them: tombstones, or a truncate stamp. */
  async invalidate(ids?: readonly string[]): Promise<number> {
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
    for (const w of this.flushWaiters.splice(0)) w.resolve();
    const committed = await this.commit((latest) => ({
      ...latest,
      parts: [],
      deltas: [],
      notFound: null,
      truncatedAt: at,
    }));
    if (committed) {
      const before = this.m;
      await this.adoptCommitted(committed);
      await Promise.all([...before.parts, ...before.deltas].map((f) => this.removeFile(f.file)));
    }
    return count;
  }

  /** IDs with a visible row: base rows plus overlay IDs that are new. */
  private async liveRows(): Promise<number> {
    let n = this.m.parts.reduce((s, p) => s + p.rows, 0);
    const ids = new Set<string>();
    for (const o of [this.deltas.rows, this.buffer.flushing, this.buffer.rows])
      if (o) for (const id of o.rows.keys()) ids.add(id);
    if (ids.size === 0) return n;
    const list = [...ids];
    const res = await this.lookup(list, []);
    // Overlay IDs found: those not in the base are extra rows; those hidden by a tombstone are fewer.
    const visible = new Set(res.records().map((r) => r['id'] as string));
    // Each part's index is fetched once, then every ID is a Map read.
    const indexes = new Map<PartEntry, PartIndex>();
    for (const id of list) {
      const slot = this.slots.slotOf(id);
      const part = slot === undefined ? undefined : this.bySlot.get(slot);
      let index = part ? indexes.get(part) : undefined;
      if (part && !index) {
        index = await this.partIndex(part);
        indexes.set(part, index);
      }
      const inBase = index?.rows.has(id) ?? false;
      if (visible.has(id) && !inBase) n++;
      if (!visible.has(id) && inBase) n--;
    }
    return n;
  }

  private async removeFile(file: string): Promise<void> {
    this.opts.memory.drop(file);
    await rm(path.join(this.dir, file), { force: true });
  }

  /** Flushes what waits and stops the flush timer. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.compacting;
  }

  /** What waits in the write buffer (and the flush under way). */
  buffered(): { rows: number; bytes: number } {
    return { rows: this.buffer.rows.size + (this.buffer.flushing?.size ?? 0), bytes: this.buffer.bytes };
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

function isMissingFile(e: unknown): boolean {
  return e instanceof Error && /No such file|ENOENT/.test(e.message);
}
