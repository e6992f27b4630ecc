/**
 * Lookups over one version of a table: base parts (read through polars, or through a JS index
 * for small lookups), merged per (ID, column) with the overlay rows — deltas and the write
 * buffer — by the newest fetch stamp. IDs with no overlay row take the plain base path, so a
 * lookup costs the same with or without pending deltas.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, toRecords, toSeries } from './column-types.js';
import { emptyPart, idFrame, partColumns, type TableSchema, tsCol, typeOf } from './frames.js';
import { type SlotIndex, slotName } from './hash.js';
import type { Manifest, PartEntry } from './manifest.js';
import {
  cutOf,
  isLive,
  isNotFound,
  isStale,
  mergeRow,
  notFoundStill,
  type OverlayRow,
  own,
  type RowPolicy,
} from './overlay.js';
import type { PartIndex } from './part-io.js';

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
  /** Overlay rows of an ID, newest last (delta index, flushing buffer, write buffer). */
  overlay(id: string): OverlayRow[] | undefined;
  /** A part's frame aligned to the manifest schema. */
  part(p: PartEntry): Promise<pl.DataFrame>;
  /** A part's JS index (ID → row, decoded columns). */
  index(p: PartEntry): Promise<PartIndex>;
}

export async function lookupView(
  v: TableView,
  ids: readonly string[],
  columns: readonly string[],
  policy: RowPolicy,
  smallMax: number,
): Promise<StoreLookup> {
  const plain: string[] = [];
  const overlaid: Array<[string, OverlayRow[]]> = [];
  for (const id of ids) {
    const o = v.overlay(id);
    if (o) overlaid.push([id, o]);
    else plain.push(id);
  }
  const missing = new Map<string, string[]>();
  const notFound: string[] = [];
  const base =
    plain.length === 0
      ? undefined
      : plain.length <= smallMax
        ? await baseSmall(v, plain, columns, policy, missing, notFound)
        : await baseLarge(v, plain, columns, policy, missing, notFound);
  if (overlaid.length === 0 && base) return base;
  // One index per part, fetched once: awaiting per ID cost a promise turn each.
  const indexes = new Map<PartEntry, PartIndex>();
  const partOf = new Map<string, PartEntry>();
  for (const [id] of overlaid) {
    const slot = v.slots.slotOf(id);
    const part = slot === undefined ? undefined : v.bySlot.get(slot);
    if (!part) continue;
    partOf.set(id, part);
    if (!indexes.has(part)) indexes.set(part, await v.index(part));
  }
  const records: Record<string, unknown>[] = [];
  for (const [id, layers] of overlaid) {
    const part = partOf.get(id);
    const row = (part && baseRow(v, indexes.get(part)!, id)) ?? { values: {}, at: {} };
    const nf = v.notFound.get(id);
    if (nf !== undefined && (row.nf === undefined || nf > row.nf)) row.nf = nf;
    for (const l of layers) mergeRow(row, l);
    const cut = cutOf(row, policy);
    if (!isLive(row, cut)) {
      if (isNotFound(row, policy)) notFound.push(id);
      else missing.set(id, [...columns]);
      continue;
    }
    const rec: Record<string, unknown> = { id };
    const stale: string[] = [];
    for (const c of columns) {
      const at = own(row.at, c);
      rec[c] = at !== undefined && at > cut ? (own(row.values, c) ?? null) : null;
      if (isStale(at, cut, policy)) stale.push(c);
    }
    records.push(rec);
    if (stale.length > 0) missing.set(id, stale);
  }
  const overlay = fromRecords(v, records, columns, missing, notFound);
  if (!base) return overlay;
  return {
    ...overlay,
    records: () => [...base.records(), ...records],
    frame: () => pl.concat([base.frame(), overlay.frame()], { how: 'vertical' }),
    small: base.small,
  };
}

/** A lookup answered by JS records (the small path, and rows merged with overlay rows). */
function fromRecords(
  v: TableView,
  records: Record<string, unknown>[],
  columns: readonly string[],
  missing: StoreLookup['missing'],
  notFound: string[],
): StoreLookup {
  return {
    records: () => records,
    frame: () => recordsFrame(records, columns, v.schema),
    missing,
    notFound,
    small: true,
    types: typesOf(columns, v.schema),
  };
}

function typesOf(columns: readonly string[], schema: TableSchema): Record<string, LogicalType> {
  const out: Record<string, LogicalType> = {};
  for (const c of columns) out[c] = typeOf(schema, c) ?? 'string';
  return out;
}

function recordsFrame(
  records: readonly Record<string, unknown>[],
  columns: readonly string[],
  schema: TableSchema,
): pl.DataFrame {
  return pl.DataFrame([
    pl.Series(
      'id',
      records.map((r) => r['id'] as string),
      pl.String,
    ),
    ...columns.map((c) =>
      toSeries(
        c,
        typeOf(schema, c) ?? 'string',
        records.map((r) => r[c]),
      ),
    ),
  ]);
}

/** The base row of one ID with every column and stamp (for merging with overlay rows). */
function baseRow(v: TableView, index: PartIndex, id: string): OverlayRow | undefined {
  const n = index.rows.get(id);
  if (n === undefined) return undefined;
  // A base row exists as such (an ID-only fetch leaves no column stamp): seen "at the beginning".
  const row: OverlayRow = { values: {}, at: {}, ok: 0 };
  for (const c of Object.keys(v.m.schema)) {
    const at = index.column(tsCol(c), 'float')?.[n] as number | null | undefined;
    if (at === null || at === undefined) continue;
    row.at[c] = at;
    row.values[c] = index.column(c, typeOf(v.m.schema, c))?.[n] ?? null;
  }
  return row;
}

/** IDs with no base row: remembered not-found ones, or missing every requested column. */
function absent(
  v: TableView,
  ids: readonly string[],
  found: ReadonlySet<string>,
  columns: readonly string[],
  policy: RowPolicy,
  missing: Map<string, string[]>,
  notFound: string[],
): void {
  for (const id of ids) {
    if (found.has(id)) continue;
    if (notFoundStill(v.notFound.get(id), undefined, policy)) notFound.push(id);
    else missing.set(id, [...columns]);
  }
}

/** The small-lookup path: plain JS over each part's index, no polars call once it is built. */
async function baseSmall(
  v: TableView,
  ids: readonly string[],
  columns: readonly string[],
  policy: RowPolicy,
  missing: Map<string, string[]>,
  notFound: string[],
): Promise<StoreLookup> {
  const { m } = v;
  const { bySlot } = v;
  const groups = m.parts.length === 1 ? new Map([[slotName(m.parts[0]!), ids]]) : v.slots.group(ids);
  const records: Record<string, unknown>[] = [];
  const found = new Set<string>();
  for (const [slot, slotIds] of groups) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    if (!part) continue;
    const index = await v.index(part);
    const cols = columns.map((c) => ({
      c,
      values: index.column(c, typeOf(m.schema, c)),
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
        if (isStale(t ?? undefined, -1, policy)) stale.push(c);
      }
      records.push(rec);
      if (stale.length > 0) missing.set(id, stale);
    }
  }
  absent(v, ids, found, columns, policy, missing, notFound);
  return fromRecords(v, records, columns, missing, notFound);
}

/** The large-lookup path: one lazy polars query over every part that can hold the IDs. */
async function baseLarge(
  v: TableView,
  ids: readonly string[],
  columns: readonly string[],
  policy: RowPolicy,
  missing: Map<string, string[]>,
  notFound: string[],
): Promise<StoreLookup> {
  const { m } = v;
  const known = columns.filter((c) => Object.hasOwn(m.schema, c));
  const unknown = columns.filter((c) => !Object.hasOwn(m.schema, c));
  const select = ['id', ...known, ...known.map(tsCol)];
  const { bySlot } = v;
  // Many IDs touch every part anyway: skip hashing them to find out which.
  const slots =
    m.parts.length === 1 || ids.length >= m.parts.length * 1_000
      ? m.parts.map(slotName)
      : [...v.slots.group(ids).keys()];
  const parts: pl.LazyDataFrame[] = [];
  for (const slot of slots) {
    const part = slot === undefined ? undefined : bySlot.get(slot);
    if (part) parts.push((await v.part(part)).lazy().select(...select));
  }
  const subSchema = Object.fromEntries(known.map((c) => [c, m.schema[c]!]));
  let found =
    parts.length === 0
      ? emptyPart(subSchema).select(...partColumns(subSchema))
      : await (parts.length === 1 ? parts[0]! : pl.concat(parts, { rechunk: false, parallel: true }))
          .join(idFrame(ids).lazy(), { on: 'id', how: 'semi' })
          .collect();
  const foundIds =
    found.height === ids.length && unknown.length === 0
      ? undefined
      : (found.getColumn('id').toArray() as string[]);
  if (foundIds) {
    absent(v, ids, new Set(foundIds), columns, policy, missing, notFound);
    if (unknown.length > 0) for (const id of foundIds) missing.set(id, [...unknown]);
  }
  if (known.length > 0) addStaleColumns(found, known, policy, missing);
  found = found.select('id', ...known);
  if (unknown.length > 0)
    found = found.withColumns(
      ...unknown.map((c) =>
        pl
          .lit(null)
          .cast(dtypeOf(typeOf(v.schema, c) ?? 'string'))
          .alias(c),
      ),
    );
  const frame = found.select('id', ...columns);
  return {
    frame: () => frame,
    records: () => toRecords(frame, v.schema),
    missing,
    notFound,
    small: false,
    types: typesOf(columns, v.schema),
  };
}

/** Adds, for found rows, the columns never fetched or past their TTL (vectorised; usually none). */
function addStaleColumns(
  found: pl.DataFrame,
  known: string[],
  policy: RowPolicy,
  missing: Map<string, string[]>,
): void {
  const ttl = policy.ttlMs;
  const staleOf = (c: string): pl.Expr =>
    ttl === undefined
      ? pl.col(tsCol(c)).isNull()
      : pl
          .col(tsCol(c))
          .isNull()
          .or(pl.col(tsCol(c)).lt(policy.now - ttl));
  const stale = found
    .filter(pl.anyHorizontal(known.map(staleOf)))
    .select('id', ...known.map((c) => staleOf(c).alias(c)));
  if (stale.height === 0) return;
  for (const rec of stale.toRecords()) {
    const id = rec['id'] as string;
    const cols = known.filter((c) => rec[c] === true);
    const prev = missing.get(id);
    if (prev) for (const c of cols) prev.push(c);
    else missing.set(id, cols);
  }
}
