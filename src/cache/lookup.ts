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
import { notFoundStill, type Overlay, type OverlayRow, overlayIds, own, type RowPolicy } from './overlay.js';
import type { PartIndex } from './part-io.js';
import { columnsFrame } from './result-frame.js';
import { isStale, staleBounds, staleExpr } from './staleness.js';

export interface StoreLookup {
  /** Rows found: `id` and every requested column (typed nulls for columns never cached). */
  frame(): pl.DataFrame;
  /** The same rows as JS objects. */
  records(): Record<string, unknown>[];
  /** ID → requested columns to fetch: absent IDs, never-fetched, hidden and expired columns. */
  missing: Map<string, string[]>;
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
  overlays: readonly Overlay[];
  /** Overlay rows of an ID, newest last. */
  overlay(id: string): OverlayRow[] | undefined;
  /** A part's frame aligned to the manifest schema. */
  part(p: PartEntry): Promise<pl.DataFrame>;
  /** A part's JS index (ID → row, decoded columns). */
  index(p: PartEntry): Promise<PartIndex>;
}

/** What the paths of one lookup add to: rows answered in JS, and the IDs still to fetch. */
interface Found {
  records: Record<string, unknown>[];
  missing: Map<string, string[]>;
  notFound: string[];
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
    if (overlaid.length > 0) await mergeOverlaid(v, overlaid, columns, policy, found);
    return answer(v, columns, found);
  }
  // One ID frame for the whole request: finding the overlaid IDs, the base query and the
  // answer's ID order share it. A Map probe per ID cost more than the native join (cache misses).
  const all: IdFrame = { list: ids, frame: idFrame(ids) };
  const ov = overlayIds(v.overlays);
  const overlaid: Array<[string, OverlayRow[]]> = [];
  if (ov) {
    const hit = await all.frame.lazy().join(ov.lazy(), { on: 'id', how: 'semi' }).collect();
    for (const id of hit.getColumn('id').toArray() as string[]) {
      const o = v.overlay(id);
      if (o) overlaid.push([id, o]);
    }
  }
  const frame = await baseLarge(v, all, ov, overlaid, columns, policy, found);
  if (overlaid.length > 0) await mergeOverlaid(v, overlaid, columns, policy, found);
  return answer(v, columns, found, { frame, ids: all });
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

/** Where a part's requested columns and their stamps are, for rows merged in JS. */
interface PartColumns {
  index: PartIndex;
  /** Aligned with the requested columns; undefined where the part (or the schema) lacks one. */
  cols: Array<{ values: unknown[] | undefined; at: unknown[] | undefined }>;
}

function partColumnsOf(index: PartIndex, columns: readonly string[], schema: TableSchema): PartColumns {
  return {
    index,
    cols: columns.map((c) => {
      const type = typeOf(schema, c);
      return type === undefined
        ? { values: undefined, at: undefined }
        : { values: index.column(c, type), at: index.column(tsCol(c), 'float') };
    }),
  };
}

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined || a >= b ? a : b;

/**
 * IDs with overlay rows: each requested column takes the value with the newest stamp across
 * the base row and the overlay rows (ties go to the later layer). Only the requested columns
 * are read; every column's stamp only when a tombstone or not-found answer may hide the row.
 */
async function mergeOverlaid(
  v: TableView,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): Promise<void> {
  const { schema } = v.m;
  // One index per part, fetched once: awaiting per ID cost a promise turn each.
  const byPart = new Map<PartEntry, PartColumns>();
  for (const [id, layers] of overlaid) {
    const slot = v.slots.slotOf(id);
    const part = slot === undefined ? undefined : v.bySlot.get(slot);
    let base: PartColumns | undefined;
    if (part) {
      base = byPart.get(part);
      if (!base) {
        base = partColumnsOf(await v.index(part), columns, schema);
        byPart.set(part, base);
      }
    }
    const n = base?.index.rows.get(id);
    // A base row exists as such (an ID-only fetch leaves no column stamp): seen "at the beginning".
    let ok = n === undefined ? undefined : 0;
    let nf = v.notFound.get(id);
    let del: number | undefined;
    for (const l of layers) {
      ok = later(ok, l.ok);
      nf = later(nf, l.nf);
      del = later(del, l.del);
    }
    const cut = Math.max(del ?? -1, nf ?? -1, policy.truncatedAt ?? -1);
    if (
      !(
        (ok !== undefined && ok > cut) ||
        layers.some((l) => stampAfter(l.at, cut)) ||
        baseStampAfter(base, n, schema, cut)
      )
    ) {
      if (notFoundStill(nf, del, policy)) found.notFound.push(id);
      else found.missing.set(id, [...columns]);
      continue;
    }
    const bounds = staleBounds(cut, policy);
    const rec: Record<string, unknown> = { id };
    let stale: string[] | undefined;
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      let at: number | undefined;
      let value: unknown = null;
      const col = base?.cols[j];
      if (n !== undefined && col?.at) {
        const t = col.at[n] as number | null | undefined;
        if (t !== null && t !== undefined) {
          at = t;
          value = col.values?.[n];
        }
      }
      for (const l of layers) {
        const t = own(l.at, c);
        if (t !== undefined && (at === undefined || t >= at)) {
          at = t;
          value = own(l.values, c);
        }
      }
      rec[c] = at !== undefined && at > cut ? (value ?? null) : null;
      if (isStale(at, bounds)) {
        stale ??= [];
        stale.push(c);
      }
    }
    found.records.push(rec);
    if (stale) found.missing.set(id, stale);
  }
}

function stampAfter(at: Readonly<Record<string, number>>, cut: number): boolean {
  for (const c in at) if (at[c]! > cut) return true;
  return false;
}

/** Whether any column of the base row was fetched after `cut` (every schema column is read). */
function baseStampAfter(
  base: PartColumns | undefined,
  n: number | undefined,
  schema: TableSchema,
  cut: number,
): boolean {
  if (!base || n === undefined) return false;
  for (const c of Object.keys(schema)) {
    const t = base.index.column(tsCol(c), 'float')?.[n] as number | null | undefined;
    if (t !== null && t !== undefined && t > cut) return true;
  }
  return false;
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
  for (const id of ids) {
    if (seen.has(id)) continue;
    if (notFoundStill(v.notFound.get(id), undefined, policy)) found.notFound.push(id);
    else found.missing.set(id, [...columns]);
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
  const { m, bySlot } = v;
  const groups = m.parts.length === 1 ? new Map([[slotName(m.parts[0]!), ids]]) : v.slots.group(ids);
  const seen = new Set<string>();
  // Base rows carry no tombstone: nothing hides them but the TTL.
  const bounds = staleBounds(-1, policy);
  for (const [slot, slotIds] of groups) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    if (!part) continue;
    const { index, cols } = partColumnsOf(await v.index(part), columns, m.schema);
    for (const id of slotIds) {
      const row = index.rows.get(id);
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

/**
 * The large-lookup path: one lazy polars query over every part that can hold the IDs, semi-joined
 * with the request's ID frame; the overlaid IDs (merged in JS) are removed by an anti join. The
 * stale flags are computed in the same query, off the event loop.
 */
async function baseLarge(
  v: TableView,
  ids: IdFrame,
  overlayFrame: pl.DataFrame | undefined,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): Promise<pl.DataFrame> {
  const { m, bySlot } = v;
  const known = columns.filter((c) => Object.hasOwn(m.schema, c));
  const unknown = columns.filter((c) => !Object.hasOwn(m.schema, c));
  const select = ['id', ...known, ...known.map(tsCol)];
  // Many IDs touch every part anyway: skip hashing them to find out which.
  const slots =
    m.parts.length === 1 || ids.list.length >= m.parts.length * 1_000
      ? m.parts.map(slotName)
      : [...v.slots.group(ids.list).keys()];
  const parts: pl.LazyDataFrame[] = [];
  for (const slot of slots) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    if (part) parts.push((await v.part(part)).lazy().select(...select));
  }
  const subSchema = Object.fromEntries(known.map((c) => [c, m.schema[c]!]));
  let q =
    parts.length === 0
      ? emptyPart(subSchema)
          .select(...partColumns(subSchema))
          .lazy()
      : (parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: false, parallel: true })).join(
          ids.frame.lazy(),
          { on: 'id', how: 'semi' },
        );
  // Every overlay ID, not only the request's overlaid ones: the semi join already kept only these.
  if (overlayFrame) q = q.join(overlayFrame.lazy(), { on: 'id', how: 'anti' });
  const stamps = known.map(tsCol);
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
  const rows = await q.collect();
  const plainCount = ids.list.length - overlaid.length;
  if (rows.height !== plainCount || unknown.length > 0) {
    const foundIds = rows.getColumn('id').toArray() as string[];
    if (rows.height !== plainCount) {
      const merged = new Set(overlaid.map(([id]) => id));
      const plain = ids.list.filter((id) => !merged.has(id));
      absent(v, plain, new Set(foundIds), columns, policy, found);
    }
    if (unknown.length > 0) for (const id of foundIds) found.missing.set(id, [...unknown]);
  }
  if (known.length > 0) addStale(rows, known, found);
  return rows.select('id', ...columns);
}

/** Adds, for found rows, the columns never fetched or past their TTL (usually none); stamp columns hold the stale flags. */
function addStale(rows: pl.DataFrame, known: readonly string[], found: Found): void {
  const stale = rows.select('id', ANY_STALE, ...known.map(tsCol)).filter(pl.col(ANY_STALE));
  if (stale.height === 0) return;
  for (const rec of stale.toRecords()) {
    const id = rec['id'] as string;
    const cols = known.filter((c) => rec[tsCol(c)] === true);
    const prev = found.missing.get(id);
    if (prev) for (const c of cols) prev.push(c);
    else found.missing.set(id, cols);
  }
}
