/** Small polars helpers shared by the store: typed empty frames, ID frames, schema alignment. */
import pl from 'nodejs-polars';
import { dtypeOf, type LogicalType } from './column-types.js';

/** Bookkeeping column holding when a column was fetched (epoch ms); null = never fetched. */
export const TS_PREFIX = '_cg_t__';
export const tsCol = (column: string): string => `${TS_PREFIX}${column}`;

export type TableSchema = Record<string, LogicalType>;

/** A column's type; own keys only, so a column named `constructor` is not Object's. */
export function typeOf(schema: TableSchema, column: string): LogicalType | undefined {
  return Object.hasOwn(schema, column) ? schema[column] : undefined;
}

export function idFrame(ids: readonly string[]): pl.DataFrame {
  return pl.DataFrame([pl.Series('id', ids as string[], pl.String)]);
}

/** Every column of a part, in file order: id, data columns, then their fetch times. */
export function partColumns(schema: TableSchema): string[] {
  const cols = Object.keys(schema);
  return ['id', ...cols, ...cols.map(tsCol)];
}

/**
 * A part with no rows and every column of `schema`. Kept per schema (a frame is never changed in
 * place): building it takes a few polars expressions per column, each a costly JS wrapper, and
 * every lookup of a slot without a part asked for one (70 MB of garbage in a 1M-row cold fill).
 */
export function emptyPart(schema: TableSchema): pl.DataFrame {
  const key = JSON.stringify(Object.entries(schema));
  let df = emptyParts.get(key);
  if (!df) {
    df = alignToSchema(pl.DataFrame([pl.Series('id', [], pl.String)]), schema);
    if (emptyParts.size >= 64) emptyParts.clear();
    emptyParts.set(key, df);
  }
  return df;
}

const emptyParts = new Map<string, pl.DataFrame>();

/**
 * Adds the schema's columns a frame lacks (as typed nulls: a column added by schema evolution
 * after the part was written) and puts the columns in file order.
 */
export function alignToSchema(df: pl.DataFrame, schema: TableSchema): pl.DataFrame {
  const have = new Set(df.columns);
  const add: pl.Expr[] = [];
  for (const [c, t] of Object.entries(schema)) {
    if (!have.has(c)) add.push(pl.lit(null).cast(dtypeOf(t)).alias(c));
    else if (!df.getColumn(c).dtype.equals(dtypeOf(t))) add.push(pl.col(c).cast(dtypeOf(t)));
    if (!have.has(tsCol(c))) add.push(pl.lit(null).cast(pl.Float64).alias(tsCol(c)));
  }
  const withAll = add.length > 0 ? df.withColumns(...add) : df;
  return withAll.select(...partColumns(schema));
}
