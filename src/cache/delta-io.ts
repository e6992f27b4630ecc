/**
 * Delta files: the rows of one flush as plain Parquet — `id`, each column present in the flush
 * with its fetch stamp `_cg_t__<column>`, and `_cg_ok` / `_cg_nf` / `_cg_del` (row seen, not-found and
 * tombstone stamps). Read back into an Overlay, they merge with the base by the newest stamp.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, readValues, toSeries } from './column-types.js';
import { type TableSchema, tsCol, typeOf } from './frames.js';
import { type Overlay, type OverlayRow, own } from './overlay.js';
import { encodeParquet, readPartFile } from './part-io.js';

export const OK_COL = '_cg_ok';
export const NF_COL = '_cg_nf';
export const DEL_COL = '_cg_del';

export function deltaFrame(rows: ReadonlyMap<string, OverlayRow>, schema: TableSchema): pl.DataFrame {
  const columns = new Set<string>();
  for (const r of rows.values()) for (const c in r.at) columns.add(c);
  const n = rows.size;
  const ids: string[] = new Array(n);
  // Numbers go to polars as typed arrays (one copy, not one call per cell), NaN standing for
  // null: no stored number is NaN (the store refuses it), and fillNan(null) restores the nulls.
  const numeric = (c: string): boolean => NUMERIC.has(typeOf(schema, c) ?? 'string');
  const values = new Map<string, unknown[] | Float64Array>();
  const stamps = new Map<string, Float64Array>();
  for (const c of columns) {
    values.set(c, numeric(c) ? new Float64Array(n) : new Array<unknown>(n));
    stamps.set(c, new Float64Array(n));
  }
  const ok = new Float64Array(n);
  const nf = new Float64Array(n);
  const del = new Float64Array(n);
  let i = 0;
  for (const [id, r] of rows) {
    ids[i] = id;
    for (const c of columns) {
      const at = own(r.at, c);
      const v = at === undefined ? null : (own(r.values, c) ?? null);
      const into = values.get(c)!;
      if (into instanceof Float64Array) into[i] = v === null ? Number.NaN : (v as number);
      else into[i] = v;
      stamps.get(c)![i] = at ?? Number.NaN;
    }
    ok[i] = r.ok ?? Number.NaN;
    nf[i] = r.nf ?? Number.NaN;
    del[i] = r.del ?? Number.NaN;
    i++;
  }
  const series: pl.Series[] = [pl.Series('id', ids, pl.String)];
  const nanIsNull: pl.Expr[] = [];
  for (const c of columns) {
    const v = values.get(c)!;
    const type = typeOf(schema, c) ?? 'string';
    if (v instanceof Float64Array) {
      series.push(pl.Series(c, v));
      nanIsNull.push(pl.col(c).fillNan(null).cast(dtypeOf(type)));
    } else series.push(toSeries(c, type, v));
  }
  for (const c of columns) series.push(pl.Series(tsCol(c), stamps.get(c)!));
  series.push(pl.Series(OK_COL, ok), pl.Series(NF_COL, nf), pl.Series(DEL_COL, del));
  for (const c of [...[...columns].map(tsCol), OK_COL, NF_COL, DEL_COL]) nanIsNull.push(pl.col(c).fillNan(null));
  return pl.DataFrame(series).withColumns(...nanIsNull);
}

/** Logical types whose cells are JS numbers, sent to polars as one Float64Array. */
const NUMERIC: ReadonlySet<LogicalType> = new Set(['int', 'float']);

export function encodeDelta(rows: ReadonlyMap<string, OverlayRow>, schema: TableSchema): Buffer {
  return encodeParquet(deltaFrame(rows, schema));
}

/** Reads a delta file into `into` (merging by stamp with what it holds). */
export async function readDelta(
  dir: string,
  file: string,
  schema: TableSchema,
  into: Overlay,
): Promise<void> {
  const df = await readPartFile(dir, file);
  const names = df.columns;
  const ids = df.getColumn('id').toArray() as string[];
  const data = names
    .filter((c) => c !== 'id' && !c.startsWith('_cg_'))
    .map((c) => ({
      c,
      values: readValues(df.getColumn(c), typeOf(schema, c)),
      at: df.getColumn(tsCol(c)).toArray() as Array<number | null>,
    }));
  const ok = names.includes(OK_COL) ? (df.getColumn(OK_COL).toArray() as Array<number | null>) : undefined;
  const nf = names.includes(NF_COL) ? (df.getColumn(NF_COL).toArray() as Array<number | null>) : undefined;
  const del = names.includes(DEL_COL) ? (df.getColumn(DEL_COL).toArray() as Array<number | null>) : undefined;
  for (let i = 0; i < ids.length; i++) {
    const row: OverlayRow = { values: {}, at: {} };
    for (const { c, values, at } of data) {
      const t = at[i];
      if (t === null || t === undefined) continue;
      row.at[c] = t;
      row.values[c] = values[i] ?? null;
    }
    const o = ok?.[i];
    if (o !== null && o !== undefined) row.ok = o;
    const n = nf?.[i];
    if (n !== null && n !== undefined) row.nf = n;
    const d = del?.[i];
    if (d !== null && d !== undefined) row.del = d;
    into.add(ids[i]!, row);
  }
}
