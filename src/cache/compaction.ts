/**
 * Compaction: folds a table's committed deltas into its base parts (the slots their IDs fall
 * in), applies tombstones and not-found answers, drops rows past their TTL, splits what grew,
 * and commits the result as one version. It runs in the background, off every request path,
 * and is safe beside other writers: if what it replaces changed meanwhile, it gives up
 * (CommitConflict) and the deltas stay until the next run.
 */
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { CommitConflict } from './commit.js';
import { NF_COL } from './delta-io.js';
import { emptyPart, partColumns, type TableSchema, tsCol } from './frames.js';
import { type PartSlot, SlotIndex, slotName } from './hash.js';
import type { Manifest, PartEntry } from './manifest.js';
import { weigh } from './native-weight.js';
import { NOT_FOUND_AT, readNotFoundFrame, writeNotFound } from './not-found.js';
import type { RowPolicy } from './overlay.js';
import { newPartName, type PartMemory, yieldToLoop } from './part-io.js';
import { sinkNewFile, sinkSplit, writeSplit } from './part-writer.js';
import {
  applyPolicy,
  deltaFileColumns,
  LIVE_COL,
  mergeDeltaRows,
  NOT_FOUND_COL,
  overlayOnBase,
  SEQ_COL,
  scanDeltas,
} from './stamp-merge.js';
import { removeFile, vacuum } from './vacuum.js';

const SLOT_COL = '_cg_slot';

export interface CompactContext {
  dir: string;
  table: string;
  limits: StoreLimits;
  memory: PartMemory;
  policy: RowPolicy;
  /** A part with every column of `schema`: from memory if held, else read without holding it. */
  loadPart(p: PartEntry, schema: TableSchema): Promise<pl.DataFrame>;
  /** A part with every column of `schema`, as a scan of its file. */
  scanPart(p: PartEntry, schema: TableSchema): Promise<pl.LazyDataFrame>;
  commit(build: (latest: Manifest) => Omit<Manifest, 'version'> | undefined): Promise<Manifest | undefined>;
  /** Readies new parts for lookups (their JS index) before a version names them. */
  prepare(added: readonly PartEntry[]): Promise<void>;
}

export interface CompactResult {
  committed?: Manifest | undefined;
  removedFiles: number;
  expiredRows: number;
}

/**
 * Every step that touches rows is a polars query collected (or sunk) in its thread pool: the
 * deltas are merged from the files `m` names, not from the process's delta index (which a flush
 * finishing meanwhile may have grown), and no row becomes a JS object, so lookups of the process
 * keep being served while it runs.
 */
export async function compactTable(ctx: CompactContext, m: Manifest): Promise<CompactResult> {
  const { dir, policy } = ctx;
  const schema = m.schema;
  const columns = Object.keys(schema);
  const slotList: PartSlot[] = m.parts.length > 0 ? m.parts : [{ depth: 0, key: 0 }];
  const touched = m.deltas.length > 0 ? await placed(await mergedDeltas(dir, m), m, slotList) : undefined;
  const oldNotFound = (await readNotFoundFrame(dir, m.notFound)).df;
  const liveNotFound = oldNotFound
    .lazy()
    .filter(pl.lit(policy.now).minus(pl.col(NOT_FOUND_AT)).lt(policy.notFoundTtlMs));
  const notFoundRows: pl.LazyDataFrame[] = [];
  const touchedIds: pl.LazyDataFrame[] = [];
  const ttl = policy.ttlMs;
  let expiredRows = 0;
  const replaced: PartEntry[] = [];
  const added: PartEntry[] = [];
  const partOf = new Map(m.parts.map((p) => [slotName(p), p]));
  for (const [i, slot] of slotList.entries()) {
    const count = touched?.counts[i] ?? 0;
    const part = partOf.get(slotName(slot));
    if (count === 0 && ttl === undefined) continue;
    // A part held in memory (small lookups read it) is replaced by one held. One that is not
    // held (a cold fill's) is merged from a scan of its file and the result written straight
    // from the query: neither the old part nor the new one is ever whole in memory (at 1,000,000
    // rows, two copies of ~250 MB at the peak of a fill). A TTL's expired-row count needs the
    // merged rows: such a table takes the first way.
    const hold = part !== undefined && ctx.memory.get(part.file) !== undefined;
    const streamed = !hold && ttl === undefined;
    const base: pl.LazyDataFrame = part
      ? streamed
        ? await ctx.scanPart(part, schema)
        : (await ctx.loadPart(part, schema)).lazy()
      : emptyPart(schema).lazy();
    let merged: pl.LazyDataFrame = base;
    if (touched && count > 0) {
      const rows = slotList.length === 1 ? touched.rows : touched.rows.filter(pl.col(SLOT_COL).eq(i));
      const slotMerge = await mergeSlot(base, rows, liveNotFound, schema, policy);
      merged = slotMerge.part;
      notFoundRows.push(slotMerge.notFound);
      touchedIds.push(slotMerge.touched.lazy());
    }
    if (streamed) {
      added.push(...(await sinkSplit(dir, merged, slot, ctx.limits, ctx.memory)));
      if (part) replaced.push(part);
      continue;
    }
    let df = weigh(await merged.collect());
    if (ttl !== undefined && columns.length > 0) {
      // A row none of whose columns is fresh would be refetched whole: keeping it only costs space.
      const fresh = pl.anyHorizontal(columns.map((c) => pl.col(tsCol(c)).gtEq(policy.now - ttl)));
      const kept = await df.lazy().filter(fresh).collect();
      expiredRows += df.height - kept.height;
      if (count === 0 && kept.height === df.height) continue;
      df = kept;
    }
    added.push(...(await writeSplit(dir, df, slot, ctx.limits, ctx.memory, hold)));
    if (part) replaced.push(part);
  }
  const keptNotFound =
    touchedIds.length > 0
      ? liveNotFound.join(pl.concat(touchedIds, { rechunk: false }), { on: 'id', how: 'anti' })
      : liveNotFound;
  const notFound = await pl.concat([keptNotFound, ...notFoundRows], { rechunk: false }).collect();
  const nfChanged = !(await sameRows(notFound, oldNotFound));
  const nfFile = nfChanged ? (notFound.height > 0 ? await writeNotFound(dir, notFound) : null) : m.notFound;
  const compacted = new Set(m.deltas.map((d) => d.file));
  const gone = new Set(replaced.map((p) => p.file));
  let committed: Manifest | undefined;
  if (added.length > 0 || compacted.size > 0 || nfChanged) {
    try {
      await ctx.prepare(added);
      committed = await ctx.commit((latest) => {
        const latestDeltas = new Set(latest.deltas.map((d) => d.file));
        const latestParts = new Set(latest.parts.map((p) => p.file));
        if (
          latest.truncatedAt !== m.truncatedAt ||
          latest.notFound !== m.notFound ||
          [...compacted].some((f) => !latestDeltas.has(f)) ||
          [...gone].some((f) => !latestParts.has(f)) ||
          latest.parts.length !== m.parts.length
        ) {
          throw new CommitConflict(`table "${ctx.table}" changed during compaction`);
        }
        return {
          ...latest,
          parts: [...latest.parts.filter((p) => !gone.has(p.file)), ...added],
          deltas: latest.deltas.filter((d) => !compacted.has(d.file)),
          notFound: nfFile,
        };
      });
    } catch (e) {
      // Nothing of ours is referenced: remove what we wrote; the deltas stay for the next run.
      const ours = [...added.map((p) => p.file), ...(nfChanged && nfFile ? [nfFile] : [])];
      await Promise.all(ours.map((f) => removeFile(ctx.dir, ctx.memory, f)));
      if (e instanceof CommitConflict) return { removedFiles: 0, expiredRows: 0 };
      throw e;
    }
  }
  // Replaced files go at once: a reader in another process that still names them re-reads the
  // manifest on ENOENT and finds their replacement.
  const dead = [...gone, ...compacted];
  if (committed && nfChanged && m.notFound) dead.push(m.notFound);
  if (committed) await Promise.all(dead.map((f) => removeFile(ctx.dir, ctx.memory, f)));
  const removedFiles =
    (committed ? dead.length : 0) + (await vacuum(ctx.dir, committed ?? m, ctx.policy.now, ctx.memory));
  return { committed, removedFiles, expiredRows };
}

/** The deltas `m` names, merged into one row per ID (newest stamp per column), as a query. */
async function mergedDeltas(dir: string, m: Manifest): Promise<pl.LazyDataFrame> {
  const columns = Object.keys(m.schema);
  return mergeDeltaRows(await scanDeltas(dir, m.deltas, columns, m.schema), columns);
}

/**
 * One slot's new part, as a query: its base rows the deltas do not touch, plus the touched IDs
 * merged (base row, not-found answer, delta row) that are still live; and the touched IDs that
 * are now a not-found answer.
 */
async function mergeSlot(
  base: pl.LazyDataFrame,
  rows: pl.LazyDataFrame,
  liveNotFound: pl.LazyDataFrame,
  schema: TableSchema,
  policy: RowPolicy,
): Promise<{ part: pl.LazyDataFrame; notFound: pl.LazyDataFrame; touched: pl.DataFrame }> {
  const columns = Object.keys(schema);
  const ids = rows.select('id');
  const query = await applyPolicy(
    await overlayOnBase(
      rows,
      base.join(ids, { on: 'id', how: 'semi' }),
      liveNotFound.join(ids, { on: 'id', how: 'semi' }),
      NOT_FOUND_AT,
      columns,
    ),
    columns,
    policy,
  );
  const result = weigh(await query.collect());
  // One row per touched ID: the IDs from here on, not `rows` again (a query that would scan and
  // merge the delta files once more for every use).
  const touched = result.select('id');
  const part = pl.concat(
    [
      base.join(touched.lazy(), { on: 'id', how: 'anti' }),
      result
        .lazy()
        .filter(pl.col(LIVE_COL))
        .select(...partColumns(schema)),
    ],
    { rechunk: false },
  );
  const notFound = result
    .lazy()
    .filter(pl.col(LIVE_COL).not().and(pl.col(NOT_FOUND_COL)))
    .select(pl.col('id'), pl.col(NF_COL).alias(NOT_FOUND_AT));
  return { part, notFound, touched };
}

/**
 * The merged delta rows with the index of the slot each ID falls in (`_cg_slot`, when there is
 * more than one) and the count per slot. With one slot they stay a query, run as part of the
 * slot's merge: collected apart, they were one more copy of every delta row at the peak of a
 * cold fill. With several, the hash is computed in JS (polars' hash is not stable across
 * versions), on the IDs only, in slices that yield to the event loop.
 */
async function placed(
  query: pl.LazyDataFrame,
  m: Manifest,
  slots: readonly PartSlot[],
): Promise<{ rows: pl.LazyDataFrame; counts: number[] }> {
  if (slots.length === 1) return { rows: query, counts: [m.deltas.reduce((n, d) => n + d.rows, 0)] };
  const df = weigh(await query.collect());
  const SLICE = 16_384;
  const index = new SlotIndex(slots);
  const position = new Map(slots.map((s, i) => [slotName(s), i]));
  const counts = slots.map(() => 0);
  const keys = new Int32Array(df.height);
  const idColumn = df.getColumn('id');
  for (let offset = 0; offset < df.height; offset += SLICE) {
    const ids = idColumn.slice(offset, SLICE).toArray() as string[];
    for (let j = 0; j < ids.length; j++) {
      const k = position.get(index.slotOf(ids[j]!) ?? '') ?? -1;
      keys[offset + j] = k;
      if (k >= 0) counts[k]!++;
    }
    await yieldToLoop();
  }
  return { rows: df.withColumn(pl.Series(SLOT_COL, keys, pl.Int32)).lazy(), counts };
}

/** Whether two not-found frames hold the same (id, stamp) pairs (IDs are unique in each). */
async function sameRows(a: pl.DataFrame, b: pl.DataFrame): Promise<boolean> {
  if (a.height !== b.height) return false;
  if (a.height === 0) return true;
  const both = await a
    .lazy()
    .join(b.lazy(), { on: ['id', NOT_FOUND_AT], how: 'inner' })
    .collect();
  return both.height === a.height;
}

/**
 * Merges every committed delta into one delta file, leaving the base parts alone: many small
 * deltas (one per flush of a few misses) cost file opens for a new process, but folding them
 * into the base would rewrite whole parts for a handful of rows. Merged in polars, like
 * compaction; every column any delta holds is kept (columns still untyped included).
 */
export async function mergeDeltas(ctx: CompactContext, m: Manifest): Promise<Manifest | undefined> {
  if (m.deltas.length < 2) return undefined;
  const columns = deltaFileColumns(ctx.dir, m.deltas);
  const df = await (
    await mergeDeltaRows(await scanDeltas(ctx.dir, m.deltas, columns, m.schema), columns)
  ).collect();
  const file = newPartName('delta');
  const bytes = await sinkNewFile(ctx.dir, file, df.lazy().drop(SEQ_COL));
  const merged = new Set(m.deltas.map((d) => d.file));
  let committed: Manifest | undefined;
  try {
    committed = await ctx.commit((latest) => {
      const live = new Set(latest.deltas.map((d) => d.file));
      if ([...merged].some((f) => !live.has(f)) || latest.truncatedAt !== m.truncatedAt) {
        throw new CommitConflict(`table "${ctx.table}" changed while its deltas were merged`);
      }
      return {
        ...latest,
        deltas: [{ file, rows: df.height, bytes }, ...latest.deltas.filter((d) => !merged.has(d.file))],
      };
    });
  } catch (e) {
    await removeFile(ctx.dir, ctx.memory, file);
    if (e instanceof CommitConflict) return undefined;
    throw e;
  }
  await Promise.all([...merged].map((f) => removeFile(ctx.dir, ctx.memory, f)));
  return committed;
}
