/**
 * The one place where requested column strings (names and dot paths) become values: per ID for
 * `lookup` (the GraphQL layer), and as output columns of a frame for `getData`. A cell that is
 * not valid JSON fails only that cell (JSON_PARSE_ERROR), never the row or the column.
 */
import { inferType, type LogicalType, logicalOf, toOutputValue } from '../cache/column-types.js';
import type { OutputColumn } from '../cache/result-frame.js';
import type { TableConfig } from '../config/types.js';
import { type CacheGateError, JsonParseError } from '../errors.js';
import { CellParseFailure, decodeJsonCell, extractPath, type ParsedPath } from '../json/json-path.js';
import type { RowValues } from './types.js';

/** Declared logical types of the columns the paths read (undeclared columns are left out). */
export function declaredTypes(cfg: TableConfig, paths: readonly ParsedPath[]): Map<string, LogicalType> {
  const declared = cfg.columns ?? {};
  const out = new Map<string, LogicalType>();
  for (const p of paths) {
    const t = Object.hasOwn(declared, p.column) ? declared[p.column] : undefined;
    if (t !== undefined) out.set(p.column, logicalOf(t));
  }
  return out;
}

/**
 * One row's values for `lookup`: whole JSON columns decoded (for the JSON scalar), BigInt,
 * DateTime and Date as text, dot paths extracted. Cell errors are added to `cellErrors`.
 */
export function rowValues(
  table: string,
  id: string,
  rec: Readonly<Record<string, unknown>>,
  paths: readonly ParsedPath[],
  types: ReadonlyMap<string, LogicalType>,
  cellErrors: Map<string, Map<string, CacheGateError>>,
): RowValues {
  const values: RowValues = {};
  for (const path of paths) {
    try {
      const cell = path.column === 'id' ? id : rec[path.column];
      const type = types.get(path.column);
      values[path.raw] =
        path.steps.length > 0
          ? extractPath(cell, path.steps)
          : type === 'json'
            ? decodeJsonCell(cell)
            : // An undeclared column is shown by what it holds.
              toOutputValue(type ?? inferType(cell) ?? 'string', cell);
    } catch (e) {
      if (!(e instanceof CellParseFailure)) throw e;
      values[path.raw] = null;
      const forId = cellErrors.get(id) ?? new Map<string, CacheGateError>();
      forId.set(path.raw, new JsonParseError(table, id, path.column, e.cause));
      cellErrors.set(id, forId);
    }
  }
  return values;
}

/** The columns of a `getData` answer: one per distinct requested string, dot paths extracted. */
export function outputColumns(table: string, paths: readonly ParsedPath[]): OutputColumn[] {
  const seen = new Set<string>();
  const out: OutputColumn[] = [];
  for (const path of paths) {
    if (path.raw === 'id' || seen.has(path.raw)) continue;
    seen.add(path.raw);
    if (path.steps.length === 0) {
      out.push({ name: path.raw, column: path.column });
      continue;
    }
    out.push({
      name: path.raw,
      column: path.column,
      extract: (cell: unknown, id: string) => {
        try {
          return extractPath(cell, path.steps);
        } catch (e) {
          if (e instanceof CellParseFailure) throw new JsonParseError(table, id, path.column, e.cause);
          throw e;
        }
      },
    });
  }
  return out;
}
