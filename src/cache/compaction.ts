/**
 * Compaction: folds a table's committed deltas into its base parts (the slots their IDs fall
 * in), applies tombstones and not-found answers, drops rows past their TTL, splits what grew,
 * and commits the result as one version. It runs in the background, off every request path,
 * and is safe beside other writers: if what it replaces changed meanwhile, it gives up
 * (CommitConflict) and the deltas stay until the next run.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { readValues, toSeries } from './column-types.js';
import { CommitConflict } from './commit.js';
import { encodeDelta, readDelta } from './delta-io.js';
import { emptyPart, idFrame, type TableSchema, tsCol, typeOf } from './frames.js';
import { type PartSlot, SlotIndex, slotName } from './hash.js';
import { LOG_DIR, liveFiles, MANIFEST, type Manifest, type PartEntry } from './manifest.js';
import { readNotFound, writeNotFound } from './not-found.js';
import {
  cutOf,
  isLive,
  isNotFound,
  mergeRow,
  Overlay,
  type OverlayRow,
  own,
  type RowPolicy,
} from './overlay.js';
import { newPartName, type PartMemory, writePartFile } from './part-io.js';
import { writeSplit } from './part-writer.js';

/** Files no version references are removed once they are this old (a reader may hold them). */
export const GRACE_MS = 60_000;

export interface CompactContext {
  dir: string;
  table: string;
  limits: StoreLimits;
  memory: PartMemory;
  policy: RowPolicy;
  loadPart(p: PartEntry, schema: TableSchema): Promise<pl.DataFrame>;
  commit(build: (latest: Manifest) => Omit<Manifest, 'version'> | undefined): Promise<Manifest | undefined>;
  /** The process's delta index and the delta files it holds (reused when it matches `m`). */
  index(): { index: Overlay; files: ReadonlySet<string> };
}

export interface CompactResult {
  committed?: Manifest | undefined;
  removedFiles: number;
  expiredRows: number;
}

export async function compactTable(ctx: CompactContext, m: Manifest): Promise<CompactResult> {
  const { dir, policy } = ctx;
  const schema = m.schema;
  const overlay = await deltaRows(ctx, m);
  const oldNotFound = m.notFound ? await readNotFound(dir, m.notFound) : new Map<string, number>();
  const notFound = new Map<string, number>();
  for (const [id, at] of oldNotFound) if (policy.now - at < policy.notFoundTtlMs) notFound.set(id, at);
  const slotList: PartSlot[] = m.parts.length > 0 ? m.parts : [{ depth: 0, key: 0 }];
  const groups = new SlotIndex(slotList).group([...overlay.rows.keys()]);
  const ttl = policy.ttlMs;
  let expiredRows = 0;
  const replaced: PartEntry[] = [];
  const added: PartEntry[] = [];
  for (const slot of slotList) {
    const name = slotName(slot);
    const ids = groups.get(name) ?? [];
    const part = m.parts.find((p) => slotName(p) === name);
    if (ids.length === 0 && ttl === undefined) continue;
    let base = part ? await ctx.loadPart(part, schema) : emptyPart(schema);
    const rows: Array<[string, OverlayRow]> = [];
    if (ids.length > 0) {
      const baseRows = rowsOf(await offLoop(base, ids, 'semi'), schema);
      for (const id of ids) {
        const row = baseRows.get(id) ?? { values: {}, at: {} };
        const nf = notFound.get(id);
        if (nf !== undefined) row.nf = nf;
        mergeRow(row, overlay.get(id)!);
        const cut = cutOf(row, policy);
        if (isLive(row, cut)) {
          notFound.delete(id);
          for (const c of Object.keys(row.at)) if (row.at[c]! <= cut) delete row.at[c];
          rows.push([id, row]);
        } else if (isNotFound(row, policy)) notFound.set(id, row.nf!);
        else notFound.delete(id);
      }
      base = await offLoop(base, ids, 'anti');
    }
    let merged =
      rows.length > 0
        ? await pl.concat([base.lazy(), partFrame(rows, schema).lazy()], { rechunk: false }).collect()
        : base;
    if (ttl !== undefined && Object.keys(schema).length > 0) {
      // A row none of whose columns is fresh would be refetched whole: keeping it only costs space.
      const fresh = pl.anyHorizontal(Object.keys(schema).map((c) => pl.col(tsCol(c)).gtEq(policy.now - ttl)));
      const kept = await merged.lazy().filter(fresh).collect();
      expiredRows += merged.height - kept.height;
      if (ids.length === 0 && kept.height === merged.height) continue;
      merged = kept;
    }
    added.push(...(await writeSplit(dir, merged, slot, ctx.limits, ctx.memory)));
    if (part) replaced.push(part);
  }
  const nfChanged = !sameMap(notFound, oldNotFound);
  const nfFile = nfChanged ? (notFound.size > 0 ? await writeNotFound(dir, notFound) : null) : m.notFound;
  const compacted = new Set(m.deltas.map((d) => d.file));
  const gone = new Set(replaced.map((p) => p.file));
  let committed: Manifest | undefined;
  if (added.length > 0 || compacted.size > 0 || nfChanged) {
    try {
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
      await Promise.all(ours.map((f) => removeFile(ctx, f)));
      if (e instanceof CommitConflict) return { removedFiles: 0, expiredRows: 0 };
      throw e;
    }
  }
  // Replaced files go at once: a reader in another process that still names them re-reads the
  // manifest on ENOENT and finds their replacement.
  const dead = [...gone, ...compacted];
  if (committed && nfChanged && m.notFound) dead.push(m.notFound);
  if (committed) await Promise.all(dead.map((f) => removeFile(ctx, f)));
  const removedFiles = (committed ? dead.length : 0) + (await vacuum(ctx, committed ?? m));
  return { committed, removedFiles, expiredRows };
}

/**
 * A semi or anti join on `id`, run in polars' thread pool (`collect()`): eager joins of a 1M-row
 * part run on the event loop and stalled every lookup of the process during a compaction.
 */
function offLoop(base: pl.DataFrame, ids: readonly string[], how: 'semi' | 'anti'): Promise<pl.DataFrame> {
  return base.lazy().join(idFrame(ids).lazy(), { on: 'id', how }).collect();
}

async function deltaRows(ctx: CompactContext, m: Manifest): Promise<Overlay> {
  const { index, files } = ctx.index();
  if (files.size === m.deltas.length && m.deltas.every((d) => files.has(d.file))) return index;
  const overlay = new Overlay();
  for (const d of m.deltas) await readDelta(ctx.dir, d.file, m.schema, overlay);
  return overlay;
}

/** Base rows as overlay rows: columns with a fetch stamp only. */
function rowsOf(df: pl.DataFrame, schema: TableSchema): Map<string, OverlayRow> {
  const out = new Map<string, OverlayRow>();
  if (df.height === 0) return out;
  const ids = df.getColumn('id').toArray() as string[];
  const cols = Object.keys(schema).map((c) => ({
    c,
    values: readValues(df.getColumn(c), typeOf(schema, c)),
    at: df.getColumn(tsCol(c)).toArray() as Array<number | null>,
  }));
  ids.forEach((id, i) => {
    const row: OverlayRow = { values: {}, at: {}, ok: 0 };
    for (const { c, values, at } of cols) {
      const t = at[i];
      if (t === null || t === undefined) continue;
      row.at[c] = t;
      row.values[c] = values[i] ?? null;
    }
    out.set(id, row);
  });
  return out;
}

/** Merged rows as a part frame: id, every schema column, then their stamps. */
function partFrame(rows: ReadonlyArray<[string, OverlayRow]>, schema: TableSchema): pl.DataFrame {
  const cols = Object.keys(schema);
  return pl.DataFrame([
    pl.Series(
      'id',
      rows.map(([id]) => id),
      pl.String,
    ),
    ...cols.map((c) =>
      toSeries(
        c,
        schema[c]!,
        rows.map(([, r]) => (own(r.at, c) === undefined ? null : (own(r.values, c) ?? null))),
      ),
    ),
    ...cols.map((c) =>
      pl.Series(
        tsCol(c),
        rows.map(([, r]) => own(r.at, c) ?? null),
        pl.Float64,
      ),
    ),
  ]);
}

/** Removes files no version references (left by a crash or a lost race), once past the grace period. */
async function vacuum(ctx: CompactContext, m: Manifest): Promise<number> {
  const live = liveFiles(m);
  let removed = 0;
  for (const f of await readdir(ctx.dir).catch(() => [] as string[])) {
    if (live.has(f) || f === MANIFEST || f === LOG_DIR || f === '.lock') continue;
    const s = await stat(path.join(ctx.dir, f)).catch(() => undefined);
    if (!s?.isFile() || ctx.policy.now - s.mtimeMs < GRACE_MS) continue;
    await removeFile(ctx, f);
    removed++;
  }
  return removed;
}

async function removeFile(ctx: CompactContext, file: string): Promise<void> {
  ctx.memory.drop(file);
  await rm(path.join(ctx.dir, file), { force: true });
}

function sameMap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Merges every committed delta into one delta file, leaving the base parts alone: many small
 * deltas (one per flush of a few misses) cost file opens for a new process, but folding them
 * into the base would rewrite whole parts for a handful of rows.
 */
export async function mergeDeltas(ctx: CompactContext, m: Manifest): Promise<Manifest | undefined> {
  if (m.deltas.length < 2) return undefined;
  const overlay = await deltaRows(ctx, m);
  const data = encodeDelta(overlay.rows, m.schema);
  const file = newPartName('delta');
  await writePartFile(ctx.dir, file, data);
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
        deltas: [
          { file, rows: overlay.size, bytes: data.length },
          ...latest.deltas.filter((d) => !merged.has(d.file)),
        ],
      };
    });
  } catch (e) {
    await removeFile(ctx, file);
    if (e instanceof CommitConflict) return undefined;
    throw e;
  }
  await Promise.all([...merged].map((f) => removeFile(ctx, f)));
  return committed;
}
