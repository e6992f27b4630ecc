/** Reading one cell of a loaded entity, with its own error if that cell (or column) failed. */
import type { EntityRow } from '../loaders/index.js';
import type { SchemaContext } from './context.js';

export function readCell(ctx: SchemaContext, row: EntityRow, column: string, reloaded = false): unknown {
  const columnError = row.columnErrors.get(column);
  if (columnError !== undefined) throw columnError;
  const cellError = row.cellErrors?.get(column);
  if (cellError !== undefined) throw cellError;
  if (Object.hasOwn(row.values, column) || reloaded) return row.values[column] ?? null;
  // The selection walk did not foresee this column (e.g. a field reached in an unusual way):
  // load it on its own; it still joins this tick's batch of the table's loader.
  return ctx.loaders
    .get(row.table)
    .load({ id: row.id, columns: [column] })
    .then((loaded) => readCell(ctx, loaded, column, true));
}

/** GraphQL Int/Float cannot serialise bigint; polars Int64 cells may arrive as one. */
export function toNumber(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
