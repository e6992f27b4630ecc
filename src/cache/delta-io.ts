/**
 * Delta files: the rows of one flush as plain Parquet — `id`, each column present in the flush
 * with its fetch stamp `_cg_t__<column>`, and `_cg_ok` / `_cg_nf` / `_cg_del` (row seen, not-found and
 * tombstone stamps). Read back by the delta index, they merge with the base by the newest stamp.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, readValues, toSeries } from './column-types.js';
import { type TableSchema, tsCol, typeOf } from './frames.js';
import { type OverlayRow, own } from './overlay.js';

export const OK_COL = '_cg_ok';
export const NF_COL = '_cg_nf';
export const DEL_COL = '_cg_del';

/** One column of a flush: its values (a Float64Array for numbers) and fetch stamps. */
interface DeltaColumn {
  name: string;
  type: LogicalType;
  values: unknown[] | Float64Array;
  stamps: Float64Array;
}

/**
 * A flush's rows as plain columns: what polars builds the delta frame from, in this thread or
 * in the encoder worker (delta-encoder.ts), to which they travel by structured clone. Numbers go
 * as typed arrays (one copy, not one native call per cell), NaN standing for null: no stored
 * number is NaN (the store refuses it), and `deltaFrameOf` restores the nulls.
 */
export interface DeltaColumns {
  ids: string[];
  columns: DeltaColumn[];
  ok: Float64Array;
  nf: Float64Array;
  del: Float64Array;
}

export function deltaColumns(rows: ReadonlyMap<string, OverlayRow>, schema: TableSchema): DeltaColumns {
  const names = new Set<string>();
  for (const r of rows.values()) for (const c in r.at) names.add(c);
  const n = rows.size;
  const columns: DeltaColumn[] = [...names].map((name) => {
    const type = typeOf(schema, name) ?? 'string';
    const values = NUMERIC.has(type) ? new Float64Array(n) : new Array<unknown>(n);
    return { name, type, values, stamps: new Float64Array(n) };
  });
  const out: DeltaColumns = {
    ids: new Array<string>(n),
    columns,
    ok: new Float64Array(n),
    nf: new Float64Array(n),
    del: new Float64Array(n),
  };
  let i = 0;
  for (const [id, r] of rows) {
    out.ids[i] = id;
    for (const col of columns) {
      const at = own(r.at, col.name);
      const v = at === undefined ? null : (own(r.values, col.name) ?? null);
      if (col.values instanceof Float64Array) col.values[i] = v === null ? Number.NaN : (v as number);
      else col.values[i] = v;
      col.stamps[i] = at ?? Number.NaN;
    }
    out.ok[i] = r.ok ?? Number.NaN;
    out.nf[i] = r.nf ?? Number.NaN;
    out.del[i] = r.del ?? Number.NaN;
    i++;
  }
  return out;
}

/**
 * A fetched batch laid out as a delta's columns, straight from its checked column values (no
 * overlay row per ID): its `found` first IDs stamped `at` for every column, the rest (IDs not
 * found) with a not-found stamp.
 */
export function batchColumns(
  ids: string[],
  found: number,
  columns: ReadonlyArray<{ name: string; type: LogicalType; values: readonly unknown[] }>,
  at: number,
): DeltaColumns {
  const n = ids.length;
  const stamps = new Float64Array(n).fill(Number.NaN).fill(at, 0, found);
  const out: DeltaColumns = {
    ids,
    columns: columns.map(({ name, type, values }) => {
      let laid: unknown[] | Float64Array;
      if (NUMERIC.has(type)) {
        const numbers = new Float64Array(n).fill(Number.NaN);
        for (let i = 0; i < found; i++) {
          const v = values[i];
          if (v !== null && v !== undefined) numbers[i] = v as number;
        }
        laid = numbers;
      } else {
        laid = values.slice(0, found);
        for (let i = found; i < n; i++) laid.push(null);
      }
      return { name, type, values: laid, stamps };
    }),
    ok: new Float64Array(n).fill(Number.NaN).fill(at, 0, found),
    nf: new Float64Array(n).fill(Number.NaN).fill(at, found),
    del: new Float64Array(n).fill(Number.NaN),
  };
  return out;
}

export function deltaFrameOf(d: DeltaColumns): pl.DataFrame {
  const series: pl.Series[] = [pl.Series('id', d.ids, pl.String)];
  const nanIsNull: pl.Expr[] = [];
  for (const { name, type, values } of d.columns) {
    if (values instanceof Float64Array) {
      series.push(pl.Series(name, values));
      nanIsNull.push(pl.col(name).fillNan(null).cast(dtypeOf(type)));
    } else series.push(toSeries(name, type, values));
  }
  for (const { name, stamps } of d.columns) series.push(pl.Series(tsCol(name), stamps));
  series.push(pl.Series(OK_COL, d.ok), pl.Series(NF_COL, d.nf), pl.Series(DEL_COL, d.del));
  for (const c of [...d.columns.map((x) => tsCol(x.name)), OK_COL, NF_COL, DEL_COL])
    nanIsNull.push(pl.col(c).fillNan(null));
  return pl.DataFrame(series).withColumns(...nanIsNull);
}

/** Logical types whose cells are JS numbers, sent to polars as one Float64Array. */
const NUMERIC: ReadonlySet<LogicalType> = new Set(['int', 'float']);

/**
 * A delta file's columns decoded into JS arrays, for the rows a lookup takes from it: decoded
 * once, on the first lookup that reaches the file, and only then (a cold fill reaches none).
 */
export interface DecodedDelta {
  columns: Array<{ c: string; values: unknown[]; at: Array<number | null> }>;
  ok: Array<number | null> | undefined;
  nf: Array<number | null> | undefined;
  del: Array<number | null> | undefined;
}

export function decodeDelta(df: pl.DataFrame, schema: TableSchema): DecodedDelta {
  const names = df.columns;
  const column = (c: string) =>
    names.includes(c) ? (df.getColumn(c).toArray() as Array<number | null>) : undefined;
  return {
    columns: names
      .filter((c) => c !== 'id' && !c.startsWith('_cg_'))
      .map((c) => ({
        c,
        values: readValues(df.getColumn(c), typeOf(schema, c)),
        at: df.getColumn(tsCol(c)).toArray() as Array<number | null>,
      })),
    ok: column(OK_COL),
    nf: column(NF_COL),
    del: column(DEL_COL),
  };
}

/** Row `i` of a decoded delta as an overlay row: the columns it has a stamp for, and its markers. */
export function deltaRow(d: DecodedDelta, i: number): OverlayRow {
  const row: OverlayRow = { values: {}, at: {} };
  const at: Record<string, number> = {};
  for (const { c, values, at: stamps } of d.columns) {
    const t = stamps[i];
    if (t === null || t === undefined) continue;
    at[c] = t;
    row.values[c] = values[i] ?? null;
  }
  row.at = at;
  const o = d.ok?.[i];
  if (o !== null && o !== undefined) row.ok = o;
  const n = d.nf?.[i];
  if (n !== null && n !== undefined) row.nf = n;
  const x = d.del?.[i];
  if (x !== null && x !== undefined) row.del = x;
  return row;
}
