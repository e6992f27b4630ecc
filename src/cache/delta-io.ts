/**
 * Delta files: the rows of one flush as plain Parquet — `id`, each column present in the flush
 * with its fetch stamp `_cg_t__<column>`, and `_cg_ok` / `_cg_nf` / `_cg_del` (row seen, not-found and
 * tombstone stamps). Read back into an Overlay, they merge with the base by the newest stamp.
 */
import pl from 'nodejs-polars';
import { readValues, toSeries } from './column-types.js';
import { type TableSchema, tsCol, typeOf } from './frames.js';
import { type Overlay, type OverlayRow, own } from './overlay.js';
import { encodeParquet, readPartFile } from './part-io.js';

export const OK_COL = '_cg_ok';
export const NF_COL = '_cg_nf';
export const DEL_COL = '_cg_del';

export function deltaFrame(rows: ReadonlyMap<string, OverlayRow>, schema: TableSchema): pl.DataFrame {
  const columns = new Set<string>();
  for (const r of rows.values()) for (const c in r.at) columns.add(c);
  const ids: string[] = [];
  const values = new Map<string, unknown[]>();
  const stamps = new Map<string, Array<number | null>>();
  for (const c of columns) {
    values.set(c, []);
    stamps.set(c, []);
  }
  const ok: Array<number | null> = [];
  const nf: Array<number | null> = [];
  const del: Array<number | null> = [];
  for (const [id, r] of rows) {
    ids.push(id);
    for (const c of columns) {
      const at = own(r.at, c);
      values.get(c)!.push(at === undefined ? null : (own(r.values, c) ?? null));
      stamps.get(c)!.push(at ?? null);
    }
    ok.push(r.ok ?? null);
    nf.push(r.nf ?? null);
    del.push(r.del ?? null);
  }
  const series: pl.Series[] = [pl.Series('id', ids, pl.String)];
  for (const c of columns) series.push(toSeries(c, typeOf(schema, c) ?? 'string', values.get(c)!));
  for (const c of columns) series.push(pl.Series(tsCol(c), stamps.get(c)!, pl.Float64));
  series.push(
    pl.Series(OK_COL, ok, pl.Float64),
    pl.Series(NF_COL, nf, pl.Float64),
    pl.Series(DEL_COL, del, pl.Float64),
  );
  return pl.DataFrame(series);
}

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
