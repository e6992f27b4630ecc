/**
 * Lookups over one version of a table: base parts (read through polars, or through a JS index
 * for small lookups), merged per (ID, column) with the overlay rows — deltas and the write
 * buffer — by the newest fetch stamp. IDs with no overlay row take the plain base path, so a
 * lookup costs the same with or without pending deltas.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, toRecords } from './column-types.js';
import { emptyPart, idFrame, partColumns, type TableSchema, tsCol, typeOf } from './frames.js';
import { type SlotIndex, slotName } from './hash.js';
import type { Manifest, PartEntry } from './manifest.js';
import { notFoundStill, type OverlayLayer, type OverlayRow, overlayIds, type RowPolicy } from './overlay.js';
import { alignedRows, type Found, indexedBase, LAST, mergeOverlaid, POS, partRows } from './overlay-merge.js';
import type { PartIndex } from './part-io.js';
import { columnsFrame } from './result-frame.js';
import { isStale, staleBounds, staleExpr } from './staleness.js';

export interface StoreLookup {
  /** Rows found: `id` and every requested column (typed nulls for columns never cached). */
  frame(): pl.DataFrame;
  /** The same rows as JS objects. */
  records(): Record<string, unknown>[];
  /** ID → requested columns to fetch: absent IDs, never-fetched, hidden and expired columns. */
  missing: Map<string, readonly string[]>;
  /** IDs the upstream did not return, still within the not-found TTL. */
  notFound: string[];
  /** The rows are JS records already (no polars frame behind them): `records()` costs nothing. */
  small: boolean;
  /** Logical type of each requested column (string for columns never cached). */
  types: Record<string, LogicalType>;
  /** The requested IDs as a frame, when the lookup built one (large lookups): reuse it to order the answer. */
  ids?: IdFrame;
}

/** A frame of one `id` column holding `list`, in its order. */
export interface IdFrame {
  list: readonly string[];
  frame: pl.DataFrame;
}

/** What a lookup reads: one committed version plus the overlay rows of this process. */
export interface TableView {
  m: Manifest;
  /** Schema including columns typed by rows not yet committed. */
  schema: TableSchema;
  slots: SlotIndex;
  /** The manifest's parts by slot name. */
  bySlot: ReadonlyMap<string, PartEntry>;
  notFound: ReadonlyMap<string, number>;
  /** The non-empty overlays, oldest first (delta index, flushing buffer, write buffer). */
  overlays: readonly OverlayLayer[];
  /** Overlay rows of an ID, newest last. */
  overlay(id: string): OverlayRow[] | undefined;
  /**
   * A part as a query (its frame, or a scan of its file when it is not held in memory); given
   * the lookup's IDs, undefined when the part holds none of them.
   */
  query(p: PartEntry, ids?: pl.DataFrame): Promise<pl.LazyDataFrame | undefined>;
  /** A part's JS index (ID → row, decoded columns). */
  index(p: PartEntry): Promise<PartIndex>;
  /** Whether a part is held in memory, or fits beside the parts held (else it is scanned). */
  holds(p: PartEntry): boolean;
}

export async function lookupView(
  v: TableView,
  ids: readonly string[],
  columns: readonly string[],
  policy: RowPolicy,
  smallMax: number,
): Promise<StoreLookup> {
  const found: Found = { records: [], missing: new Map(), notFound: [] };
  if (ids.length <= smallMax) {
    const plain: string[] = [];
    const overlaid: Array<[string, OverlayRow[]]> = [];
    for (const id of ids) {
      const o = v.overlay(id);
      if (o) overlaid.push([id, o]);
      else plain.push(id);
    }
    // Base rows first, then merged rows: the order records and missing IDs come in.
    if (plain.length > 0) await baseSmall(v, plain, columns, policy, found);
    if (overlaid.length > 0)
      mergeOverlaid(v, overlaid, await indexedBase(v, overlaid, columns), columns, policy, found);
    return answer(v, columns, found);
  }
  // One ID frame for the whole request: finding the overlaid IDs, the base query and the
  // answer's ID order share it. A Map probe per ID cost more than the native join (cache misses).
  const all: IdFrame = { list: ids, frame: idFrame(ids) };
  const ov = overlayIds(v.overlays);
  const overlaid: Array<[string, OverlayRow[]]> = [];
  let hit: pl.DataFrame | undefined;
  let at: Uint32Array = new Uint32Array(0);
  // Whether a tombstone, a not-found answer or a truncate may hide an overlaid ID's base row.
  let hidden = policy.truncatedAt !== undefined;
  if (ov) {
    // Positions, not IDs: the request's own strings (hashed already) probe the overlays, and no
    // string crosses N-API.
    hit = await all.frame.lazy().withRowIndex(POS).join(ov.lazy(), { on: 'id', how: 'semi' }).collect();
    at = hit.getColumn(POS).toTypedArray() as Uint32Array;
    for (const p of at) {
      const id = ids[p]!;
      // Every ID of `ov` has overlay rows: overlays only gain rows.
      const layers = v.overlay(id)!;
      overlaid.push([id, layers]);
      hidden ||= v.notFound.has(id) || layers.some((l) => l.del !== undefined || l.nf !== undefined);
    }
  }
  const { plain, merged } = await baseLarge(
    v,
    all,
    overlaid.length > 0 ? { hit: hit!, ids: overlaid, at, hidden } : undefined,
    columns,
    policy,
    found,
  );
  if (overlaid.length > 0) {
    const base = merged && alignedRows(merged, at, columns, v.m.schema);
    mergeOverlaid(v, overlaid, () => base, columns, policy, found);
  }
  return answer(v, columns, found, { frame: plain, ids: all });
}

/** The one shape of a lookup's answer: JS records, plus the large path's polars rows if any. */
function answer(
  v: TableView,
  columns: readonly string[],
  found: Found,
  large?: { frame: pl.DataFrame; ids: IdFrame },
): StoreLookup {
  const types: Record<string, LogicalType> = {};
  for (const c of columns) types[c] = typeOf(v.schema, c) ?? 'string';
  const { records } = found;
  const jsFrame = (): pl.DataFrame =>
    columnsFrame(
      records.map((r) => r['id'] as string),
      columns.map((c) => ({ name: c, type: types[c]!, values: records.map((r) => r[c]) })),
    );
  const res: StoreLookup = {
    frame: jsFrame,
    records: () => records,
    missing: found.missing,
    notFound: found.notFound,
    small: large === undefined,
    types,
  };
  if (!large) return res;
  const { frame } = large;
  res.ids = large.ids;
  res.frame = () => (records.length === 0 ? frame : pl.concat([frame, jsFrame()], { how: 'vertical' }));
  res.records = () => [...toRecords(frame, v.schema), ...records];
  return res;
}

/**
 * One answer from the answers of consecutive slices of a request (a large request's windows),
 * in request order: what a lookup of the whole would answer, without reading it again.
 */
export function combineLookups(parts: readonly StoreLookup[]): StoreLookup {
  if (parts.length === 1) return parts[0]!;
  const missing = new Map<string, readonly string[]>();
  for (const p of parts) for (const [id, cols] of p.missing) missing.set(id, cols);
  return {
    frame: () =>
      pl.concat(
        parts.map((p) => p.frame()),
        { how: 'vertical', rechunk: false },
      ),
    records: () => parts.flatMap((p) => p.records()),
    missing,
    notFound: parts.flatMap((p) => p.notFound),
    small: parts.every((p) => p.small),
    types: parts[0]?.types ?? {},
  };
}

/** IDs with no base row: remembered not-found ones, or missing every requested column. */
function absent(
  v: TableView,
  ids: readonly string[],
  seen: ReadonlySet<string>,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): void {
  const all = [...columns];
  for (const id of ids) {
    if (seen.has(id)) continue;
    if (notFoundStill(v.notFound.get(id), undefined, policy)) found.notFound.push(id);
    // One array for every absent ID (never changed: addStale replaces an entry to add to it).
    else found.missing.set(id, all);
  }
}

/** The small-lookup path: plain JS over each part's index, no polars call once it is built. */
async function baseSmall(
  v: TableView,
  ids: readonly string[],
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): Promise<void> {
  const { bySlot } = v;
  const groups = v.slots.group(ids);
  const seen = new Set<string>();
  // Base rows carry no tombstone: nothing hides them but the TTL.
  const bounds = staleBounds(-1, policy);
  for (const [slot, slotIds] of groups) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    if (!part) continue;
    const base = await partRows(v, part, slotIds, columns);
    const cols = base.cols.map((c) => ({ values: c.values(), at: c.at }));
    for (const id of slotIds) {
      const row = base.row(id, -1);
      if (row === undefined) continue;
      seen.add(id);
      const rec: Record<string, unknown> = { id };
      let stale: string[] | undefined;
      for (let j = 0; j < columns.length; j++) {
        const { values, at } = cols[j]!;
        rec[columns[j]!] = values?.[row] ?? null;
        if (isStale(at?.[row] as number | null | undefined, bounds)) {
          stale ??= [];
          stale.push(columns[j]!);
        }
      }
      found.records.push(rec);
      if (stale) found.missing.set(id, stale);
    }
  }
  if (seen.size < ids.length) absent(v, ids, seen, columns, policy, found);
}

/** Whether any requested column of a base row is stale (bookkeeping, dropped from the answer). */
const ANY_STALE = '_cg_stale';

/** The overlaid IDs of a large lookup: `hit` holds them (`id`, POS) in the order of `ids`. */
interface Overlaid {
  hit: pl.DataFrame;
  ids: ReadonlyArray<[string, OverlayRow[]]>;
  /** Position in the request of each of `ids`. */
  at: Uint32Array;
  /** Whether a row may be hidden: only then is LAST (every column's stamp) needed. */
  hidden: boolean;
}

/**
 * The large-lookup path: one lazy polars query over every part that can hold the IDs, semi-joined
 * with the request's ID frame, then split in two: the rows of plain IDs (with stale flags, all
 * computed off the event loop) and the base rows of the overlaid IDs (merged in JS), aligned
 * with them.
 */
async function baseLarge(
  v: TableView,
  ids: IdFrame,
  overlaid: Overlaid | undefined,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): Promise<{ plain: pl.DataFrame; merged?: pl.DataFrame }> {
  const { m, bySlot } = v;
  const known = columns.filter((c) => Object.hasOwn(m.schema, c));
  const unknown = columns.filter((c) => !Object.hasOwn(m.schema, c));
  const stamps = known.map(tsCol);
  const select: Array<string | pl.Expr> = ['id', ...known, ...stamps];
  // For merged rows: whether any column (not only the requested ones) is newer than a tombstone.
  const allStamps = Object.keys(m.schema).map((c) => tsCol(c));
  if (overlaid?.hidden && allStamps.length > 0)
    select.push(pl.maxHorizontal(allStamps.map((c) => pl.col(c))).alias(LAST));
  // Many IDs touch every part anyway: skip hashing them to find out which.
  const slots =
    m.parts.length === 1 || ids.list.length >= m.parts.length * 1_000
      ? m.parts.map(slotName)
      : [...v.slots.group(ids.list).keys()];
  const parts: pl.LazyDataFrame[] = [];
  for (const slot of slots) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    const q = part && (await v.query(part, ids.frame));
    if (q) parts.push(q);
  }
  if (parts.length === 0 && !overlaid) {
    // No part holds any of the IDs (a cold fill's window): every ID is absent, and the answer is
    // an empty frame of the requested columns, without building the query below.
    absent(v, ids.list, new Set(), columns, policy, found);
    const types = Object.fromEntries(columns.map((c) => [c, typeOf(v.schema, c) ?? 'string']));
    return { plain: emptyPart(types).select('id', ...columns) };
  }
  const subSchema = Object.fromEntries(known.map((c) => [c, m.schema[c]!]));
  const rows =
    parts.length === 0
      ? undefined
      : await (parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: false, parallel: true }))
          .join(ids.frame.lazy(), { on: 'id', how: 'semi' })
          // After the join: LAST is computed for the rows found, not for every row of the part.
          .select(...select)
          .collect();
  let q: pl.LazyDataFrame =
    rows?.lazy() ??
    emptyPart(subSchema)
      .select(...partColumns(subSchema))
      .lazy();
  let merged: Promise<pl.DataFrame> | undefined;
  if (overlaid) {
    const { hit } = overlaid;
    // The inner join brings each base row its request position (POS), which aligns it with
    // its overlaid ID in JS.
    merged = rows?.lazy().join(hit.lazy(), { on: 'id', how: 'inner' }).collect();
    q = q.join(hit.lazy(), { on: 'id', how: 'anti' });
  }
  if (known.length > 0) {
    // The stamp columns become their stale flags, through one multi-column expression: every
    // nodejs-polars Expr is a costly JS wrapper, so one per column added up.
    q = q
      .withColumns(staleExpr(pl.col(stamps), staleBounds(-1, policy)))
      .withColumns(pl.anyHorizontal(pl.col(stamps)).alias(ANY_STALE));
  }
  if (unknown.length > 0)
    q = q.withColumns(
      ...unknown.map((c) =>
        pl
          .lit(null)
          .cast(dtypeOf(typeOf(v.schema, c) ?? 'string'))
          .alias(c),
      ),
    );
  // Both run in polars' thread pool at once.
  const [plain, mergedRows] = await Promise.all([q.collect(), merged]);
  const plainCount = ids.list.length - (overlaid?.ids.length ?? 0);
  if (plain.height !== plainCount || unknown.length > 0) {
    const foundIds = plain.getColumn('id').toArray() as string[];
    if (plain.height !== plainCount) {
      const skip = new Set(overlaid?.ids.map(([id]) => id));
      const plainIds = ids.list.filter((id) => !skip.has(id));
      absent(v, plainIds, new Set(foundIds), columns, policy, found);
    }
    if (unknown.length > 0) for (const id of foundIds) found.missing.set(id, unknown);
  }
  if (known.length > 0) addStale(plain, known, found);
  const out = plain.select('id', ...columns);
  return mergedRows ? { plain: out, merged: mergedRows } : { plain: out };
}

/** Adds, for found rows, the columns never fetched or past their TTL (usually none); stamp columns hold the stale flags. */
function addStale(rows: pl.DataFrame, known: readonly string[], found: Found): void {
  const stale = rows.select('id', ANY_STALE, ...known.map(tsCol)).filter(pl.col(ANY_STALE));
  if (stale.height === 0) return;
  for (const rec of stale.toRecords()) {
    const id = rec['id'] as string;
    const cols = known.filter((c) => rec[tsCol(c)] === true);
    const prev = found.missing.get(id);
    // Entries may share one array (absent): a new one, never pushed to.
    found.missing.set(id, prev ? [...prev, ...cols] : cols);
  }
}
