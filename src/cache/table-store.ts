/**
 * One table of the Parquet cache: lookups of IDs × columns, and batch writes (insert-or-replace
 * of the fetched columns, schema evolution, not-found memory, part splitting), each write one
 * atomic manifest version. Layout and guarantees: shared/DESIGN.md §2.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import type { SourceRow } from '../sources/types.js';
import { fsyncDir } from './atomic-file.js';
import {
  type ColumnSpec,
  coerceColumn,
  dtypeOf,
  inferType,
  type LogicalType,
  toRecords,
  toSeries,
} from './column-types.js';
import {
  alignToSchema,
  emptyPart,
  idFrame,
  joinById,
  partColumns,
  type TableSchema,
  tsCol,
} from './frames.js';
import { hashId, type PartSlot, SlotIndex, slotName } from './hash.js';
import {
  emptyManifest,
  MANIFEST,
  type Manifest,
  type ManifestStamp,
  type PartEntry,
  readManifest,
  sameStamp,
  stampOf,
  writeManifest,
} from './manifest.js';
import { encodeParquet, newPartName, type PartMemory, readPartFile, writePartFile } from './part-io.js';
import { TableLock } from './table-lock.js';

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
  /** After this long without a refresh, a lock file is taken to belong to a dead process. */
  lockStaleMs?: number | undefined;
  /** Largest lookup served by the JS path (default 2,000 IDs); tests set 0 to force polars. */
  smallLookupMax?: number | undefined;
  /** Test seam: runs after the new part files are durable and before the manifest is replaced. */
  beforeCommit?: (() => void | Promise<void>) | undefined;
}

export interface StoreLookup {
  /** Rows found: `id` and every requested column (typed nulls for columns never cached). */
  frame(): pl.DataFrame;
  /** The same rows as JS objects. */
  records(): Record<string, unknown>[];
  /** ID → requested columns to fetch: absent IDs, never-fetched and expired columns. */
  missing: Map<string, string[]>;
  /** IDs the upstream did not return, still within the not-found TTL. */
  notFound: string[];
}

/**
 * Up to this many IDs, a lookup runs in JS over the part index instead of in polars: polars'
 * per-call overhead dominates small lookups, its vectorised joins win on large ones.
 */
const SMALL_LOOKUP = 2_000;

export interface BatchWrite {
  rows: SourceRow[];
  /** Columns this batch fetched: written for every row (a null is an upstream null). */
  columns: string[];
  /** IDs asked for and not returned. */
  notFound: string[];
  fetchedAt: number;
}

export class TableStore {
  readonly table: string;
  private readonly dir: string;
  private readonly lock: TableLock;
  private manifest: Manifest;
  private stamp: ManifestStamp | undefined;
  private loaded = false;
  private notFound = new Map<string, number>();
  private notFoundFile: string | null = null;

  constructor(private readonly opts: TableStoreOptions) {
    this.table = opts.table;
    this.dir = opts.dir;
    this.lock = new TableLock(opts.dir, opts.lockStaleMs);
    this.manifest = emptyManifest(opts.table);
  }

  /** The latest committed version, re-read only when the manifest file changed on disk. */
  async current(): Promise<Manifest> {
    const stamp = await stampOf(this.dir);
    if (this.loaded && sameStamp(stamp, this.stamp)) return this.manifest;
    const m = await readManifest(this.dir, this.table);
    if (m.notFound !== this.notFoundFile) {
      this.notFound = m.notFound ? await this.readNotFound(m.notFound) : new Map();
      this.notFoundFile = m.notFound;
    }
    this.manifest = m;
    this.stamp = stamp;
    this.loaded = true;
    return m;
  }

  async lookup(ids: readonly string[], columns: readonly string[], now = Date.now()): Promise<StoreLookup> {
    // A writer in another process may delete a part between our manifest read and the file
    // read; the newer manifest then names its replacement, so re-read and try again.
    for (let attempt = 0; ; attempt++) {
      try {
        return ids.length <= (this.opts.smallLookupMax ?? SMALL_LOOKUP)
          ? await this.lookupSmall(ids, columns, now)
          : await this.lookupOnce(ids, columns, now);
      } catch (e) {
        if (attempt >= 4 || !isMissingFile(e)) throw e;
        this.loaded = false;
      }
    }
  }

  private async lookupOnce(
    ids: readonly string[],
    columns: readonly string[],
    now: number,
  ): Promise<StoreLookup> {
    const m = await this.current();
    const known = columns.filter((c) => c in m.schema);
    const unknown = columns.filter((c) => !(c in m.schema));
    const select = ['id', ...known, ...known.map(tsCol)];
    const bySlot = new Map(m.parts.map((p) => [slotName(p), p]));
    // Many IDs touch every part anyway: skip hashing them to find out which.
    const slots =
      m.parts.length === 1 || ids.length >= m.parts.length * 1_000
        ? m.parts.map(slotName)
        : [...new SlotIndex(m.parts).group(ids).keys()];
    const parts: pl.LazyDataFrame[] = [];
    for (const slot of slots) {
      const part = slot === undefined ? undefined : bySlot.get(slot);
      if (part) parts.push((await this.loadPart(part, m.schema)).lazy().select(...select));
    }
    // One query over every part that can hold the IDs: polars runs it on all cores at once.
    const frames =
      parts.length === 0
        ? []
        : [
            await (parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: false, parallel: true }))
              .join(idFrame(ids).lazy(), { on: 'id', how: 'semi' })
              .collect(),
          ];
    const subSchema = Object.fromEntries(known.map((c) => [c, m.schema[c]!]));
    let found =
      frames.length === 0 ? emptyPart(subSchema) : frames.length === 1 ? frames[0]! : pl.concat(frames);

    const missing = new Map<string, string[]>();
    const notFound: string[] = [];
    const foundIds =
      found.height === ids.length && unknown.length === 0 ? undefined : colStrings(found, 'id');
    if (foundIds) {
      notFound.push(...this.absent(ids, new Set(foundIds), columns, now, missing));
      if (unknown.length > 0) for (const id of foundIds) missing.set(id, [...unknown]);
    }
    if (known.length > 0) this.addStaleColumns(found, known, now, missing);

    found = found.select('id', ...known);
    if (unknown.length > 0)
      found = found.withColumns(...unknown.map((c) => pl.lit(null).cast(pl.String).alias(c)));
    const frame = found;
    return { frame: () => frame, records: () => toRecords(frame, m.schema), missing, notFound };
  }

  /** The small-lookup path: plain JS over each part's index, no polars call once it is built. */
  private async lookupSmall(
    ids: readonly string[],
    columns: readonly string[],
    now: number,
  ): Promise<StoreLookup> {
    const m = await this.current();
    const ttl = this.opts.ttlMs;
    const bySlot = new Map(m.parts.map((p) => [slotName(p), p]));
    const groups =
      m.parts.length === 1 ? new Map([[slotName(m.parts[0]!), ids]]) : new SlotIndex(m.parts).group(ids);
    const records: Record<string, unknown>[] = [];
    const missing = new Map<string, string[]>();
    const found = new Set<string>();
    for (const [slot, slotIds] of groups) {
      const part = slot === undefined ? undefined : bySlot.get(slot);
      if (!part) continue;
      const index = this.opts.memory.index(part.file, await this.loadRaw(part));
      const cols = columns.map((c) => ({
        c,
        values: index.column(c, m.schema[c]),
        at: index.column(tsCol(c), 'float'),
      }));
      for (const id of slotIds) {
        const row = index.rows.get(id);
        if (row === undefined) continue;
        found.add(id);
        const rec: Record<string, unknown> = { id };
        const stale: string[] = [];
        for (const { c, values, at } of cols) {
          rec[c] = values?.[row] ?? null;
          const t = at?.[row] as number | null | undefined;
          if (t === null || t === undefined || (ttl !== undefined && t < now - ttl)) stale.push(c);
        }
        records.push(rec);
        if (stale.length > 0) missing.set(id, stale);
      }
    }
    const notFound = this.absent(ids, found, columns, now, missing);
    return {
      records: () => records,
      frame: () =>
        pl.DataFrame([
          pl.Series(
            'id',
            records.map((r) => r['id'] as string),
            pl.String,
          ),
          ...columns.map((c) => {
            return toSeries(
              c,
              m.schema[c] ?? 'string',
              records.map((r) => r[c]),
            );
          }),
        ]),
      missing,
      notFound,
    };
  }

  /** IDs with no row: remembered not-found ones, or missing every requested column. */
  private absent(
    ids: readonly string[],
    found: ReadonlySet<string>,
    columns: readonly string[],
    now: number,
    missing: Map<string, string[]>,
  ): string[] {
    const notFound: string[] = [];
    for (const id of ids) {
      if (found.has(id)) continue;
      const at = this.notFound.get(id);
      if (at !== undefined && now - at < this.opts.notFoundTtlMs) notFound.push(id);
      else missing.set(id, [...columns]);
    }
    return notFound;
  }

  /** Adds, for found rows, the columns never fetched or past their TTL (vectorised; usually none). */
  private addStaleColumns(
    found: pl.DataFrame,
    known: string[],
    now: number,
    missing: Map<string, string[]>,
  ): void {
    const ttl = this.opts.ttlMs;
    const staleOf = (c: string): pl.Expr =>
      ttl === undefined
        ? pl.col(tsCol(c)).isNull()
        : pl
            .col(tsCol(c))
            .isNull()
            .or(pl.col(tsCol(c)).lt(now - ttl));
    const stale = found
      .filter(pl.anyHorizontal(known.map(staleOf)))
      .select('id', ...known.map((c) => staleOf(c).alias(c)));
    if (stale.height === 0) return;
    for (const rec of stale.toRecords()) {
      const id = rec['id'] as string;
      const cols = known.filter((c) => rec[c] === true);
      const prev = missing.get(id);
      missing.set(id, prev ? [...prev, ...cols] : cols);
    }
  }

  /** A part as written (it may predate columns added since). */
  private async loadRaw(part: PartEntry): Promise<pl.DataFrame> {
    let df = this.opts.memory.get(part.file);
    if (!df) {
      df = await readPartFile(this.dir, part.file);
      this.opts.memory.set(part.file, df, part.bytes);
    }
    return df;
  }

  /** A part with every column of the current schema. */
  private async loadPart(part: PartEntry, schema: TableSchema): Promise<pl.DataFrame> {
    const df = await this.loadRaw(part);
    return df.width === partColumns(schema).length ? df : alignToSchema(df, schema);
  }

  /**
   * Writes fetched batches as ONE new version: rows (insert-or-replace of each batch's columns)
   * and not-found IDs. A batch that cannot be written (a type conflict) is skipped and its error
   * returned at its index; the others land. Writing several batches at once is what keeps a cold
   * fill from rewriting a growing part once per batch.
   */
  write(batches: BatchWrite | readonly BatchWrite[]): Promise<Array<Error | undefined>> {
    const list = Array.isArray(batches) ? (batches as readonly BatchWrite[]) : [batches as BatchWrite];
    return this.lock.run(async () => {
      this.loaded = false;
      const m = await this.current();
      let schema: TableSchema = m.schema;
      let untyped: string[] = m.untyped ?? [];
      const before = this.notFound;
      const notFound = new Map(before);
      let work = new Map<string, pl.DataFrame>();
      const errors = new Array<Error | undefined>(list.length).fill(undefined);
      // Consecutive batches fetching the same columns are merged into the parts in ONE step:
      // merging them one by one made a new copy of a large part per batch, and polars' native
      // memory is invisible to the JS GC (100 copies of a 1M-row part exhausted 24 GiB).
      let run: { columns: string[]; frames: pl.DataFrame[]; batches: number[] } | undefined;
      const applyRun = async (): Promise<void> => {
        if (!run) return;
        const { columns, frames, batches } = run;
        run = undefined;
        try {
          // A column typed by a later batch of the run (it was only nulls before) is cast alike.
          const typed = (f: pl.DataFrame) =>
            f.withColumns(...columns.map((c) => pl.col(c).cast(dtypeOf(schema[c]!))));
          const rows = frames.length === 1 ? frames[0]! : pl.concat(frames.map(typed));
          // The same id in two batches: the later answer wins, as with two separate writes.
          const incoming =
            frames.length === 1 ? rows : rows.unique({ subset: 'id', keep: 'last', maintainOrder: true });
          const gone = batches.flatMap((i) => list[i]!.notFound);
          // Staged on a copy: a run failing half-way must leave no row of its own behind.
          const trial = new Map(work);
          if (incoming.height > 0) await this.stage(trial, m, schema, incoming, columns);
          // An id the upstream no longer returns loses its cached row too: it is not found now.
          if (gone.length > 0) await this.unstage(trial, m, schema, gone);
          work = trial;
          for (const i of batches) {
            for (const id of list[i]!.notFound) notFound.set(id, list[i]!.fetchedAt);
            for (const row of list[i]!.rows) notFound.delete(String(row['id']));
          }
        } catch (e) {
          for (const i of batches) errors[i] = e instanceof Error ? e : new Error(String(e));
        }
      };
      for (const [i, batch] of list.entries()) {
        let incoming: pl.DataFrame;
        try {
          // Type checks run per batch, so one batch with a conflict fails alone.
          const next = this.evolveSchema({ ...m, schema, untyped }, batch);
          incoming = this.incomingFrame(batch, next.schema);
          schema = next.schema;
          untyped = next.untyped;
        } catch (e) {
          errors[i] = e instanceof Error ? e : new Error(String(e));
          continue;
        }
        if (run && run.columns.join('\u0000') !== batch.columns.join('\u0000')) await applyRun();
        run ??= { columns: batch.columns, frames: [], batches: [] };
        run.frames.push(incoming);
        run.batches.push(i);
      }
      await applyRun();
      if (errors.every((e) => e !== undefined)) return errors;
      const parts = await this.writeStaged(work, m, schema);
      await this.commit(m, before, { schema, untyped, parts, notFound });
      return errors;
    });
  }

  private evolveSchema(m: Manifest, batch: BatchWrite): { schema: TableSchema; untyped: string[] } {
    const schema: TableSchema = { ...m.schema };
    const untyped = new Set(m.untyped ?? []);
    for (const c of batch.columns) {
      const declared = this.opts.declared?.[c]?.type;
      let inferred: LogicalType | undefined;
      for (const r of batch.rows) {
        inferred = inferType(r[c]);
        if (inferred) break;
      }
      if (!(c in schema) || (untyped.has(c) && (declared ?? inferred))) {
        // A column seen only as nulls gets its type from the first non-null value later on.
        schema[c] = declared ?? inferred ?? 'string';
        if (declared ?? inferred) untyped.delete(c);
        else untyped.add(c);
      }
    }
    return { schema, untyped: [...untyped] };
  }

  private incomingFrame(batch: BatchWrite, schema: TableSchema): pl.DataFrame {
    const ids = batch.rows.map((r) => String(r['id']));
    const series: pl.Series[] = [pl.Series('id', ids, pl.String)];
    for (const c of batch.columns) {
      const spec: ColumnSpec = { type: schema[c]!, idLike: this.opts.declared?.[c]?.idLike ?? false };
      const values = coerceColumn(
        this.table,
        c,
        spec,
        batch.rows.map((r) => r[c]),
        ids,
      );
      series.push(toSeries(c, spec.type, values));
    }
    const at = new Float64Array(batch.rows.length).fill(batch.fetchedAt);
    for (const c of batch.columns) series.push(pl.Series(tsCol(c), at, pl.Float64));
    // An upstream that answers one ID twice: the last answer wins, as it would in two batches.
    return pl.DataFrame(series).unique({ subset: 'id', keep: 'last', maintainOrder: true });
  }

  /** Merges rows into the in-memory versions of the parts they fall into (nothing written yet). */
  private async stage(
    work: Map<string, pl.DataFrame>,
    m: Manifest,
    schema: TableSchema,
    incoming: pl.DataFrame,
    columns: string[],
  ): Promise<void> {
    const slots: PartSlot[] = m.parts.length > 0 ? m.parts : [{ depth: 0, key: 0 }];
    const groups = new SlotIndex(slots).group(colStrings(incoming, 'id'));
    const fetched = [...columns, ...columns.map(tsCol)];
    for (const [slot = '0-0', ids] of groups) {
      const old = m.parts.find((p) => slotName(p) === slot);
      const before = work.get(slot) ?? (old ? await this.loadRaw(old) : emptyPart(schema));
      const base = alignToSchema(before, schema);
      const inc: pl.DataFrame = groups.size === 1 ? incoming : joinById(incoming, idFrame(ids), 'semi');
      // Rows already cached keep their other columns; new rows get typed nulls there.
      const joined = joinById(inc, base.drop(fetched), 'left');
      const kept = joinById(base, inc.select('id'), 'anti');
      work.set(slot, pl.concat([kept, alignToSchema(joined, schema)]));
    }
  }

  /** Drops rows from the staged parts, touching only parts that hold any of `ids`. */
  private async unstage(
    work: Map<string, pl.DataFrame>,
    m: Manifest,
    schema: TableSchema,
    ids: readonly string[],
  ) {
    if (m.parts.length === 0 && work.size === 0) return;
    const slots: PartSlot[] = m.parts.length > 0 ? m.parts : [{ depth: 0, key: 0 }];
    for (const [slot = '0-0', slotIds] of new SlotIndex(slots).group(ids)) {
      const old = m.parts.find((p) => slotName(p) === slot);
      const staged = work.get(slot);
      const df = staged ?? (old ? await this.loadRaw(old) : undefined);
      if (!df) continue;
      const kept = joinById(df, idFrame(slotIds), 'anti');
      if (kept.height !== df.height) work.set(slot, alignToSchema(kept, schema));
    }
  }

  /** Writes the staged parts (splitting oversized ones); returns the new part list. */
  private async writeStaged(
    work: Map<string, pl.DataFrame>,
    m: Manifest,
    schema: TableSchema,
  ): Promise<PartEntry[]> {
    const replaced = new Set<string>();
    const added: PartEntry[] = [];
    for (const [slot, df] of work) {
      const old = m.parts.find((p) => slotName(p) === slot);
      const [depth, key] = slot.split('-').map(Number) as [number, number];
      added.push(...(await this.writeSplit(alignToSchema(df, schema), { depth, key })));
      if (old) replaced.add(old.file);
    }
    return [...m.parts.filter((p) => !replaced.has(p.file)), ...added];
  }

  /** Writes a part, splitting it by the next hash bit while it is over the size limits. */
  private async writeSplit(df: pl.DataFrame, slot: PartSlot): Promise<PartEntry[]> {
    const { maxPartRows, maxPartBytes } = this.opts.limits;
    const splittable = slot.depth < 32 && df.height > 1;
    // Over the row limit it splits anyway: no need to encode it whole first.
    const data = splittable && df.height > maxPartRows ? undefined : encodeParquet(df);
    if (splittable && (data === undefined || data.length > maxPartBytes)) {
      const bit = colStrings(df, 'id').map((id) => ((hashId(id) >>> slot.depth) & 1) === 1);
      const high = pl.Series('_cg_bit', bit, pl.Bool);
      const lo = df.filter(high.not());
      const hi = df.filter(high);
      return [
        ...(await this.writeSplit(lo, { depth: slot.depth + 1, key: slot.key })),
        ...(await this.writeSplit(hi, { depth: slot.depth + 1, key: (slot.key | (1 << slot.depth)) >>> 0 })),
      ];
    }
    const file = newPartName(slotName(slot));
    const bytes = data ?? encodeParquet(df);
    await writePartFile(this.dir, file, bytes);
    this.opts.memory.set(file, df, bytes.length);
    return [{ ...slot, file, rows: df.height, bytes: bytes.length }];
  }

  private async commit(
    m: Manifest,
    /** The not-found map of `m`, captured under the lock. */
    before: Map<string, number>,
    next: {
      schema: TableSchema;
      untyped?: string[] | undefined;
      parts: PartEntry[];
      notFound: Map<string, number>;
    },
  ): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let notFoundFile = m.notFound;
    if (!sameMap(next.notFound, before)) {
      notFoundFile = next.notFound.size > 0 ? await this.writeNotFound(next.notFound) : null;
    }
    await fsyncDir(this.dir);
    await this.opts.beforeCommit?.();
    // The version check behind the lock: if another writer committed meanwhile (our lock went
    // stale during a stall), committing would drop its rows. Fail this write instead.
    const onDisk = await readManifest(this.dir, this.table);
    if (onDisk.version !== m.version) {
      throw new Error(
        `table "${this.table}" was changed by another writer during this write; nothing was committed, retry it`,
      );
    }
    const manifest: Manifest = {
      ...m,
      version: m.version + 1,
      schema: next.schema,
      parts: next.parts,
      notFound: notFoundFile,
    };
    const untyped = next.untyped ?? m.untyped;
    if (untyped && untyped.length > 0) manifest.untyped = untyped;
    else delete manifest.untyped;
    await writeManifest(this.dir, manifest);
    this.manifest = manifest;
    this.stamp = await stampOf(this.dir);
    this.notFound = next.notFound;
    this.notFoundFile = notFoundFile;
    this.loaded = true;
    // Files of the previous version are unreferenced now; readers elsewhere retry on a newer manifest.
    const live = new Set(manifest.parts.map((p) => p.file));
    const stale = m.parts.filter((p) => !live.has(p.file)).map((p) => p.file);
    if (m.notFound && m.notFound !== notFoundFile) stale.push(m.notFound);
    await Promise.all(stale.map((f) => this.removeFile(f)));
  }

  private async removeFile(file: string): Promise<void> {
    this.opts.memory.drop(file);
    await rm(path.join(this.dir, file), { force: true });
  }

  private async writeNotFound(map: Map<string, number>): Promise<string> {
    const df = pl.DataFrame([
      pl.Series('id', [...map.keys()], pl.String),
      pl.Series('_cg_at', Float64Array.from(map.values()), pl.Float64),
    ]);
    const file = newPartName('notfound');
    await writePartFile(this.dir, file, encodeParquet(df));
    return file;
  }

  private async readNotFound(file: string): Promise<Map<string, number>> {
    const df = await readPartFile(this.dir, file);
    const ids = colStrings(df, 'id');
    const at = df.getColumn('_cg_at').toArray() as number[];
    return new Map(ids.map((id, i) => [id, at[i]!]));
  }

  /** Drops rows (all, or those IDs) and their not-found entries; returns the rows dropped. */
  invalidate(ids?: readonly string[]): Promise<number> {
    return this.lock.run(async () => {
      this.loaded = false;
      const m = await this.current();
      if (!ids) {
        const count = m.parts.reduce((n, p) => n + p.rows, 0);
        await this.commit(m, this.notFound, { schema: m.schema, parts: [], notFound: new Map() });
        return count;
      }
      const notFound = new Map(this.notFound);
      for (const id of ids) notFound.delete(id);
      const bySlot = new Map(m.parts.map((p) => [slotName(p), p]));
      const groups = m.parts.length > 0 ? new SlotIndex(m.parts).group(ids) : new Map<string, string[]>();
      let dropped = 0;
      const replaced = new Set<string>();
      const added: PartEntry[] = [];
      for (const [slot, slotIds] of groups) {
        const part = slot && bySlot.get(slot);
        if (!part) continue;
        const df = await this.loadPart(part, m.schema);
        const kept = joinById(df, idFrame(slotIds), 'anti');
        if (kept.height === df.height) continue;
        dropped += df.height - kept.height;
        replaced.add(part.file);
        added.push(...(await this.writeSplit(kept, part)));
      }
      const parts = [...m.parts.filter((p) => !replaced.has(p.file)), ...added];
      await this.commit(m, this.notFound, { schema: m.schema, parts, notFound });
      return dropped;
    });
  }

  /** Removes files no version references (left by a crash) and expired not-found entries. */
  compact(now = Date.now()): Promise<{ removedFiles: number; expiredRows: number }> {
    return this.lock.run(async () => {
      this.loaded = false;
      const m = await this.current();
      const notFound = new Map([...this.notFound].filter(([, at]) => now - at < this.opts.notFoundTtlMs));
      // With a TTL, a row none of whose columns is fresh any more would be refetched whole on its
      // next lookup: keeping it only costs space.
      const work = new Map<string, pl.DataFrame>();
      let expiredRows = 0;
      const ttl = this.opts.ttlMs;
      const columns = Object.keys(m.schema);
      if (ttl !== undefined && columns.length > 0) {
        const fresh = pl.anyHorizontal(columns.map((c) => pl.col(tsCol(c)).gtEq(now - ttl)));
        for (const part of m.parts) {
          const df = await this.loadPart(part, m.schema);
          const kept = df.filter(fresh);
          if (kept.height === df.height) continue;
          expiredRows += df.height - kept.height;
          work.set(slotName(part), kept);
        }
      }
      if (work.size > 0 || notFound.size !== this.notFound.size) {
        const parts = await this.writeStaged(work, m, m.schema);
        await this.commit(m, this.notFound, { schema: m.schema, parts, notFound });
      }
      const live = new Set([MANIFEST, '.lock', ...this.manifest.parts.map((p) => p.file)]);
      if (this.manifest.notFound) live.add(this.manifest.notFound);
      let removedFiles = 0;
      for (const f of await readdir(this.dir).catch(() => [] as string[])) {
        if (live.has(f)) continue;
        await this.removeFile(f);
        removedFiles++;
      }
      return { removedFiles, expiredRows };
    });
  }

  /** Rows of the version this process saw last (no I/O). */
  rowCount(): number {
    return this.manifest.parts.reduce((n, p) => n + p.rows, 0);
  }

  async stats(): Promise<{ rows: number; parts: number; bytes: number }> {
    const m = await this.current();
    return {
      rows: m.parts.reduce((n, p) => n + p.rows, 0),
      parts: m.parts.length,
      bytes: m.parts.reduce((n, p) => n + p.bytes, 0),
    };
  }
}

function colStrings(df: pl.DataFrame, name: string): string[] {
  return df.getColumn(name).toArray() as string[];
}

function sameMap(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function isMissingFile(e: unknown): boolean {
  return e instanceof Error && /No such file|ENOENT/.test(e.message);
}
