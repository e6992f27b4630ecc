/**
 * Rows of IDs that have overlay rows (deltas, write buffer), merged in JS with their base row:
 * per requested column the newest fetch stamp wins. The base row comes from the part's JS index
 * (small lookups) or from the large lookup's own query.
 */
import pl from 'nodejs-polars';
import { type LogicalType, readValues } from './column-types.js';
import { idFrame, type TableSchema, tsCol, typeOf } from './frames.js';
import type { TableView } from './lookup.js';
import type { PartEntry } from './manifest.js';
import { cutOf, notFoundStill, type OverlayRow, own, type RowPolicy } from './overlay.js';
import type { PartIndex } from './part-io.js';
import { isStale, staleBounds } from './staleness.js';

/** What the paths of one lookup add to: rows answered in JS, and the IDs still to fetch. */
export interface Found {
  records: Record<string, unknown>[];
  missing: Map<string, readonly string[]>;
  notFound: string[];
}

/** Base rows seen from JS, for merging with overlay rows. */
export interface BaseRows {
  /** Row number of the base row of `id`, the `i`th overlaid ID, if it has one. */
  row(id: string, i: number): number | undefined;
  /**
   * Stamps and values aligned with the requested columns; undefined where the part (or the
   * schema) lacks one. Values are read on first use: a merge needs them only where the base
   * row's stamp wins, and reading text across N-API costs more than the rest of the merge.
   */
  cols: Array<{ values: () => readonly unknown[] | undefined; at: readonly unknown[] | undefined }>;
  /** Whether any column of row `n` (not only the requested ones) was fetched after `cut`. */
  fetchedAfter(n: number, cut: number): boolean;
}

/** A part's rows through its JS index (small lookups). */
export function indexRows(index: PartIndex, columns: readonly string[], schema: TableSchema): BaseRows {
  const stamps = Object.keys(schema).map((c) => tsCol(c));
  return {
    row: (id) => index.rows.get(id),
    cols: columns.map((c) => {
      const type = typeOf(schema, c);
      return type === undefined
        ? { values: () => undefined, at: undefined }
        : { values: () => index.column(c, type), at: index.column(tsCol(c), 'float') };
    }),
    fetchedAfter: (n, cut) =>
      stamps.some((s) => {
        const t = index.column(s, 'float')?.[n] as number | null | undefined;
        return t !== null && t !== undefined && t > cut;
      }),
  };
}

/** Column holding the newest stamp of a base row, for rows merged in JS (bookkeeping). */
export const LAST = '_cg_last';
/** Column holding a requested ID's position in the request (bookkeeping). */
export const POS = '_cg_pos';

/**
 * The base rows of overlaid IDs, taken from the large path's query (requested columns and
 * stamps, POS, and LAST when a row may be hidden): a few thousand rows read as JS arrays once,
 * instead of probing the part's million-entry JS index per ID. `at[i]` is the request position
 * of the `i`th overlaid ID; rows are matched by position, so no ID string is read back.
 */
export function alignedRows(
  df: pl.DataFrame,
  at: Uint32Array,
  columns: readonly string[],
  schema: TableSchema,
): BaseRows {
  const rowAt = new Map<number, number>();
  const pos = df.getColumn(POS).toTypedArray() as Uint32Array;
  for (let r = 0; r < pos.length; r++) rowAt.set(pos[r]!, r);
  return frameRows(df, columns, schema, (_id, i) => rowAt.get(at[i]!));
}

/**
 * Base rows held in a frame (requested columns, their stamps, and LAST when a row may be
 * hidden), read as JS arrays: values only where a merge asks for them.
 */
function frameRows(
  df: pl.DataFrame,
  columns: readonly string[],
  schema: TableSchema,
  row: BaseRows['row'],
): BaseRows {
  const has = new Set(df.columns);
  const read = (c: string, type: LogicalType): unknown[] | undefined =>
    has.has(c) ? readValues(df.getColumn(c), type) : undefined;
  // Without LAST no overlaid row has a cut (tombstone, not-found answer, truncate): a base row
  // keeps its ID live then, and this is never asked.
  const last = read(LAST, 'float');
  return {
    row,
    cols: columns.map((c) => {
      const type = typeOf(schema, c);
      if (type === undefined) return { values: () => undefined, at: undefined };
      let values: unknown[] | undefined;
      return {
        values: () => {
          values ??= read(c, type);
          return values;
        },
        at: read(tsCol(c), 'float'),
      };
    }),
    fetchedAfter: (n, cut) => {
      const t = last?.[n] as number | null | undefined;
      return t !== null && t !== undefined && t > cut;
    },
  };
}

/**
 * A part's rows of `ids` for the small-lookup paths: through its JS index when the part is held
 * or fits the memory budget, else from a scan of its file (a part over the budget is not read
 * whole and indexed for a few IDs).
 */
export async function partRows(
  v: TableView,
  part: PartEntry,
  ids: readonly string[],
  columns: readonly string[],
): Promise<BaseRows> {
  if (v.holds(part)) return indexRows(await v.index(part), columns, v.m.schema);
  const known = columns.filter((c) => Object.hasOwn(v.m.schema, c));
  const allStamps = Object.keys(v.m.schema).map(tsCol);
  const last = allStamps.length > 0 ? [pl.maxHorizontal(allStamps.map((c) => pl.col(c))).alias(LAST)] : [];
  // Without IDs to probe with, `query` never answers undefined.
  const df = await (await v.query(part))!
    .join(idFrame(ids).lazy(), { on: 'id', how: 'semi' })
    .select('id', ...known, ...known.map(tsCol), ...last)
    .collect();
  const rowOf = new Map((df.getColumn('id').toArray() as string[]).map((id, r) => [id, r]));
  return frameRows(df, columns, v.m.schema, (id) => rowOf.get(id));
}

/** For small lookups: each overlaid ID's part rows (one read per part). */
export async function indexedBase(
  v: TableView,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  columns: readonly string[],
): Promise<(i: number) => BaseRows | undefined> {
  const baseOf = new Map<string, BaseRows>();
  for (const [slot, ids] of v.slots.group(overlaid.map(([id]) => id))) {
    const part = slot === undefined ? undefined : v.bySlot.get(slot);
    if (!part) continue;
    const base = await partRows(v, part, ids, columns);
    for (const id of ids) baseOf.set(id, base);
  }
  return (i) => baseOf.get(overlaid[i]![0]);
}

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined || a >= b ? a : b;

/**
 * IDs with overlay rows: each requested column takes the value with the newest stamp across
 * the base row and the overlay rows (ties go to the later layer). Only the requested columns
 * are read; every column's stamp only when a tombstone or not-found answer may hide the row.
 */
export function mergeOverlaid(
  v: TableView,
  overlaid: ReadonlyArray<[string, OverlayRow[]]>,
  baseOf: (i: number) => BaseRows | undefined,
  columns: readonly string[],
  policy: RowPolicy,
  found: Found,
): void {
  // Most rows carry no tombstone: their bounds are shared.
  const plainBounds = staleBounds(-1, policy);
  // One array for every ID missing all of them (missing entries are never changed in place).
  const allColumns = [...columns];
  for (let i = 0; i < overlaid.length; i++) {
    const [id, layers] = overlaid[i]!;
    const base = baseOf(i);
    const n = base?.row(id, i);
    // A base row exists as such (an ID-only fetch leaves no column stamp): seen "at the beginning".
    let ok = n === undefined ? undefined : 0;
    let nf = v.notFound.get(id);
    let del: number | undefined;
    for (const l of layers) {
      ok = later(ok, l.ok);
      nf = later(nf, l.nf);
      del = later(del, l.del);
    }
    const cut = cutOf({ del, nf }, policy);
    if (
      !(
        (ok !== undefined && ok > cut) ||
        layers.some((l) => stampAfter(l.at, cut)) ||
        (n !== undefined && base!.fetchedAfter(n, cut))
      )
    ) {
      if (notFoundStill(nf, del, policy)) found.notFound.push(id);
      else found.missing.set(id, allColumns);
      continue;
    }
    const bounds = cut === -1 ? plainBounds : staleBounds(cut, policy);
    const rec: Record<string, unknown> = { id };
    let stale: string[] | undefined;
    for (let j = 0; j < columns.length; j++) {
      const c = columns[j]!;
      // The newest stamp first; then the value of its layer (or of the base row) alone.
      let at: number | undefined;
      let from: OverlayRow | undefined;
      const col = base?.cols[j];
      if (n !== undefined && col?.at) {
        const t = col.at[n] as number | null | undefined;
        if (t !== null && t !== undefined) at = t;
      }
      for (const l of layers) {
        const t = own(l.at, c);
        if (t !== undefined && (at === undefined || t >= at)) {
          at = t;
          from = l;
        }
      }
      let value: unknown = null;
      if (at !== undefined && at > cut) value = from ? own(from.values, c) : col!.values()?.[n!];
      rec[c] = value ?? null;
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
