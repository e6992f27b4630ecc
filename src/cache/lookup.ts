/**
 * Lookups over one version of a table: base parts (read through polars, or through a JS index
 * for small lookups), merged per (ID, column) with the overlay rows — deltas and the write
 * buffer — by the newest fetch stamp. IDs with no overlay row take the plain base path, so a
 * lookup costs the same with or without pending deltas.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, readValues, toRecords } from './column-types.js';
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
  if (ov) {
    hit = await all.frame.lazy().join(ov.lazy(), { on: 'id', how: 'semi' }).collect();
    // Every ID of `ov` has overlay rows: overlays only gain rows.
    for (const id of hit.getColumn('id').toArray() as string[]) overlaid.push([id, v.overlay(id)!]);
  }
  const { plain, merged } = await baseLarge(
    v,
    all,
    overlaid.length > 0 ? hit : undefined,
    columns,
    policy,
    found,
  );
  if (overlaid.length > 0) {
    const base = merged && frameRows(merged, columns, v.m.schema);
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

/** Base rows seen from JS, for merging with overlay rows. */
interface BaseRows {
  /** Row number of an ID's base row, if it has one. */
  row(id: string): number | undefined;
  /** Values and stamps aligned with the requested columns; undefined where the part (or the schema) lacks one. */
  cols: Array<{ values: readonly unknown[] | undefined; at: readonly unknown[] | undefined }>;
  /** Whether any column of row `n` (not only the requested ones) was fetched after `cut`. */
  fetchedAfter(n: number, cut: number): boolean;
}

/** A part's rows through its JS index (small lookups). */
function indexRows(index: PartIndex, columns: readonly string[], schema: TableSchema): BaseRows {
  const stamps = Object.keys(schema).map((c) => tsCol(c));
  return {
    row: (id) => index.rows.get(id),
    cols: columns.map((c) => {
      const type = typeOf(schema, c);
      return type === undefined
        ? { values: undefined, at: undefined }
        : { values: index.column(c, type), at: index.column(tsCol(c), 'float') };
    }),
    fetchedAfter: (n, cut) =>
      stamps.some((s) => {
        const t = index.column(s, 'float')?.[n] as number | null | undefined;
        return t !== null && t !== undefined && t > cut;
      }),
  };
}

/** Column holding the newest stamp of a base row, for rows merged in JS (bookkeeping). */
const LAST = '_cg_last';

/**
 * The base rows of overlaid IDs, taken from the large path's query (`id`, requested columns and
 * stamps, and LAST): a few thousand rows read as JS arrays once, instead of probing the part's
 * million-entry JS index per ID.
 */
function frameRows(df: pl.DataFrame, columns: readonly string[], schema: TableSchema): BaseRows {
  const has = new Set(df.columns);
  const read = (c: string, type: LogicalType): unknown[] | undefined =>
    has.has(c) ? readValues(df.getColumn(c), type) : undefined;
  const ids = df.getColumn('id').toArray() as string[];
  const rows = new Map(ids.map((id, i) => [id, i]));
  const last = read(LAST, 'float');
  return {
    row: (id) => rows.get(id),
    cols: columns.map((c) => {
      const type = typeOf(schema, c);
      return type === undefined
        ? { values: undefined, at: undefined }
        : { values: read(c, type), at: read(tsCol(c), 'float') };
    }),
    fetchedAfter: (n, cut) => {
      const t = last?.[n] as number | null | undefined;
      return t !== null && t !== undefined && t > cut;
    },
  };
}

/** For small lookups: each overlaid ID's part, read through its JS index (one await per part). */
async function indexedBase(
  v: TableView,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  columns: readonly string[],
): Promise<(i: number) => BaseRows | undefined> {
  const byPart = new Map<PartEntry, BaseRows>();
  const of: Array<BaseRows | undefined> = [];
  for (const [id] of overlaid) {
    const slot = v.slots.slotOf(id);
    const part = slot === undefined ? undefined : v.bySlot.get(slot);
    let base: BaseRows | undefined;
    if (part) {
      base = byPart.get(part);
      if (!base) {
        base = indexRows(await v.index(part), columns, v.m.schema);
        byPart.set(part, base);
      }
    }
    of.push(base);
  }
  return (i) => of[i];
}

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined || a >= b ? a : b;

/**
 * IDs with overlay rows: each requested column takes the value with the newest stamp across
 * the base row and the overlay rows (ties go to the later layer). Only the requested columns
 * are read; every column's stamp only when a tombstone or not-found answer may hide the row.
 */
function mergeOverlaid(
  v: TableView,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  baseOf: (i: number) => BaseRows | undefined,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): void {
  // Most rows carry no tombstone: their bounds are shared.
  const plainBounds = staleBounds(-1, policy);
  for (let i = 0; i < overlaid.length; i++) {
    const [id, layers] = overlaid[i]!;
    const base = baseOf(i);
    const n = base?.row(id);
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
        (n !== undefined && base!.fetchedAfter(n, cut))
      )
    ) {
      if (notFoundStill(nf, del, policy)) found.notFound.push(id);
      else found.missing.set(id, [...columns]);
      continue;
    }
    const bounds = cut === -1 ? plainBounds : staleBounds(cut, policy);
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
    const base = indexRows(await v.index(part), columns, m.schema);
    const { cols } = base;
    for (const id of slotIds) {
      const row = base.row(id);
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
 * with the request's ID frame, then split in two: the rows of plain IDs (with stale flags, all
 * computed off the event loop) and the base rows of the overlaid IDs in `hit` (merged in JS).
 */
async function baseLarge(
  v: TableView,
  ids: IdFrame,
  hit: pl.DataFrame | undefined,
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
  if (hit && allStamps.length > 0) select.push(pl.maxHorizontal(allStamps.map((c) => pl.col(c))).alias(LAST));
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
  const rows =
    parts.length === 0
      ? undefined
      : await (parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: false, parallel: true }))
          .join(ids.frame.lazy(), { on: 'id', how: 'semi' })
          .collect();
  let q =
    rows?.lazy() ??
    emptyPart(subSchema)
      .select(...partColumns(subSchema))
      .lazy();
  let merged: pl.DataFrame | undefined;
  if (hit) {
    merged = rows ? await rows.lazy().join(hit.lazy(), { on: 'id', how: 'semi' }).collect() : undefined;
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
  const plain = await q.collect();
  const plainCount = ids.list.length - (hit?.height ?? 0);
  if (plain.height !== plainCount || unknown.length > 0) {
    const foundIds = plain.getColumn('id').toArray() as string[];
    if (plain.height !== plainCount) {
      const overlaid = new Set(hit ? (hit.getColumn('id').toArray() as string[]) : []);
      const plainIds = ids.list.filter((id) => !overlaid.has(id));
      absent(v, plainIds, new Set(foundIds), columns, policy, found);
    }
    if (unknown.length > 0) for (const id of foundIds) found.missing.set(id, [...unknown]);
  }
  if (known.length > 0) addStale(plain, known, found);
  const out = plain.select('id', ...columns);
  return merged ? { plain: out, merged } : { plain: out };
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
