/**
 * Shapes a lookup's rows into what `getData` returns: a DataFrame in the caller's ID order with
 * one column per requested column name or dot path.
 */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType, toSeries } from './column-types.js';
import { idFrame } from './frames.js';

export interface OutputColumn {
  /** Column name in the result: what the caller asked for (`details.cast.0.name`). */
  name: string;
  /** Cached column it reads. */
  column: string;
  /** Extracts the value of one cell; only for dot paths (JSON is extracted in JS, see json/). */
  extract?: (cell: unknown, id: string) => unknown;
}

/** A column built from JS values (stored form, see column-types.ts). */
export interface JsColumn {
  name: string;
  type: LogicalType;
  values: readonly unknown[];
}

/** Types polars' row reader converts exactly from their JS form (not BigInt text, not dates). */
const ROW_SAFE: ReadonlySet<LogicalType> = new Set(['string', 'json', 'int', 'float', 'boolean']);
/** Up to this many rows, one `readRecords` call beats one Series per column. */
const ROWS_MAX = 1_000;
const INDEX_KEY = /^(0|[1-9]\d*)$/;

/**
 * A frame of `id` plus `columns`. Every nodejs-polars Series is wrapped in a JS object of some
 * 600 closures (≈ 0.2 ms each, plus the garbage), which was most of a one-ID `getData`; few
 * rows of plain types therefore go through one `readRecords` call with an explicit schema,
 * which builds the columns natively. Many rows, BigInt and dates take `toSeries`.
 */
export function columnsFrame(ids: readonly string[], columns: readonly JsColumn[]): pl.DataFrame {
  if (ids.length > ROWS_MAX || !columns.every((c) => ROW_SAFE.has(c.type))) {
    return pl.DataFrame([
      pl.Series('id', ids as string[], pl.String),
      ...columns.map((c) => toSeries(c.name, c.type, c.values)),
    ]);
  }
  // Prototype-less: names are data (a dot path may read `__proto__`).
  const schema: Record<string, pl.DataType> = Object.create(null);
  schema['id'] = pl.String;
  for (const c of columns) schema[c.name] = dtypeOf(c.type);
  const rows = ids.map((id, i) => {
    const row: Record<string, unknown> = Object.create(null);
    row['id'] = id;
    for (const c of columns) row[c.name] = c.values[i] ?? null;
    return row;
  });
  const df = pl.readRecords(rows, { schema });
  // Integer-like keys come first in a JS object, whatever order they were added in.
  return columns.some((c) => INDEX_KEY.test(c.name)) ? df.select('id', ...columns.map((c) => c.name)) : df;
}

/**
 * Left-joins the found rows onto the IDs (polars keeps the left order; `ids` is the frame of
 * `idList` when the lookup built one already) and adds the dot-path columns. The join runs off
 * the event loop (lazy `collect`); the frame comes back boxed (see `TableParts.box`).
 */
export async function buildResultFrame(
  found: pl.DataFrame,
  idList: readonly string[],
  outputs: readonly OutputColumn[],
  ids: pl.DataFrame = idFrame(idList),
): Promise<{ frame: pl.DataFrame }> {
  const ordered = await ids.lazy().join(found.lazy(), { on: 'id', how: 'left' }).collect();
  const plain = ordered.select(
    pl.col('id'),
    ...outputs.filter((o) => !o.extract).map((o) => pl.col(o.column).alias(o.name)),
  );
  const paths = outputs.filter((o) => o.extract);
  if (paths.length === 0) return { frame: plain.select('id', ...outputs.map((o) => o.name)) };
  const idValues = ordered.getColumn('id').toArray() as string[];
  const extracted = paths.map((o) => {
    const cells = ordered.getColumn(o.column).toArray() as unknown[];
    const col = typedColumn(
      o.name,
      cells.map((cell, i) => o.extract!(cell, idValues[i]!)),
    );
    return toSeries(col.name, col.type, col.values);
  });
  return { frame: plain.hstack(pl.DataFrame(extracted)).select('id', ...outputs.map((o) => o.name)) };
}

/**
 * The same answer built from JS records (small lookups): no ID frame, no join — each polars
 * call crosses N-API, and for a handful of rows those calls were most of a warm lookup's time.
 */
export function buildResultFromRecords(
  records: readonly Record<string, unknown>[],
  ids: readonly string[],
  outputs: readonly OutputColumn[],
  types: Readonly<Record<string, LogicalType>>,
): pl.DataFrame {
  const byId = new Map<string, Record<string, unknown>>();
  for (const r of records) byId.set(r['id'] as string, r);
  const rows = ids.map((id) => byId.get(id));
  const columns = outputs.map((o): JsColumn => {
    const cells = rows.map((r) => (r === undefined ? null : (r[o.column] ?? null)));
    if (!o.extract) return { name: o.name, type: types[o.column] ?? 'string', values: cells };
    return typedColumn(
      o.name,
      cells.map((cell, i) => (rows[i] === undefined ? null : o.extract!(cell, ids[i]!))),
    );
  });
  return columnsFrame(ids, columns);
}

/**
 * A dot-path column: Float64, Boolean or String when all its values share that type, else the
 * values as JSON text — a polars column has one type.
 */
function typedColumn(name: string, values: unknown[]): JsColumn {
  let kind: 'number' | 'boolean' | 'string' | 'json' | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k =
      typeof v === 'number'
        ? 'number'
        : typeof v === 'boolean'
          ? 'boolean'
          : typeof v === 'string'
            ? 'string'
            : 'json';
    if (kind === undefined) kind = k;
    else if (kind !== k) {
      kind = 'json';
      break;
    }
  }
  const nulled = values.map((v) => v ?? null);
  switch (kind) {
    case 'number':
      return { name, type: 'float', values: nulled };
    case 'boolean':
      return { name, type: 'boolean', values: nulled };
    case 'string':
      return { name, type: 'string', values: nulled };
    default:
      return {
        name,
        type: 'json',
        values: values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v))),
      };
  }
}
