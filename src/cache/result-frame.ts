/**
 * Shapes a lookup's rows into what `getData` returns: a DataFrame in the caller's ID order with
 * one column per requested column name or dot path.
 */
import pl from 'nodejs-polars';
import { type LogicalType, toSeries } from './column-types.js';
import { idFrame, joinById } from './frames.js';

export interface OutputColumn {
  /** Column name in the result: what the caller asked for (`details.cast.0.name`). */
  name: string;
  /** Cached column it reads. */
  column: string;
  /** Extracts the value of one cell; only for dot paths (JSON is extracted in JS, see json/). */
  extract?: (cell: unknown, id: string) => unknown;
}

/**
 * Left-joins the found rows onto the IDs (polars keeps the left order) and adds the dot-path
 * columns. A dot-path column gets Float64, Boolean or String when all its values share that
 * type, else the values as JSON text: a polars column has one type.
 */
export function buildResultFrame(
  found: pl.DataFrame,
  ids: readonly string[],
  outputs: readonly OutputColumn[],
): pl.DataFrame {
  const ordered = joinById(idFrame(ids), found, 'left');
  const plain = ordered.select(
    pl.col('id'),
    ...outputs.filter((o) => !o.extract).map((o) => pl.col(o.column).alias(o.name)),
  );
  const paths = outputs.filter((o) => o.extract);
  if (paths.length === 0) return plain.select('id', ...outputs.map((o) => o.name));
  const idValues = ordered.getColumn('id').toArray() as string[];
  const extracted = paths.map((o) => {
    const cells = ordered.getColumn(o.column).toArray() as unknown[];
    return typedSeries(
      o.name,
      cells.map((cell, i) => o.extract!(cell, idValues[i]!)),
    );
  });
  return plain.hstack(pl.DataFrame(extracted)).select('id', ...outputs.map((o) => o.name));
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
  const series = outputs.map((o) => {
    const cells = rows.map((r) => (r === undefined ? null : (r[o.column] ?? null)));
    if (!o.extract) return toSeries(o.name, types[o.column] ?? 'string', cells);
    return typedSeries(
      o.name,
      cells.map((cell, i) => (rows[i] === undefined ? null : o.extract!(cell, ids[i]!))),
    );
  });
  return pl.DataFrame([pl.Series('id', ids as string[], pl.String), ...series]);
}

function typedSeries(name: string, values: unknown[]): pl.Series {
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
  switch (kind) {
    case 'number':
      return pl.Series(
        name,
        values.map((v) => v ?? null),
        pl.Float64,
      );
    case 'boolean':
      return pl.Series(
        name,
        values.map((v) => v ?? null),
        pl.Bool,
      );
    case 'string':
      return pl.Series(
        name,
        values.map((v) => v ?? null),
        pl.String,
      );
    default:
      return pl.Series(
        name,
        values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v))),
        pl.String,
      );
  }
}
