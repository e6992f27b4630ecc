/**
 * Logical column types of the cache and how JS values map onto them. Values are checked
 * one by one before a frame is built, because polars silently turns a value of another
 * type into null (`[1, "007"]` → `[1, null]`): here such a value is a TypeConflictError.
 */
import pl from 'nodejs-polars';
import type { ColumnType } from '../config/types.js';
import { TypeConflictError } from '../errors.js';

export type LogicalType = 'string' | 'int' | 'float' | 'boolean' | 'json';

export function logicalOf(t: ColumnType): LogicalType {
  switch (t) {
    case 'String':
    case 'ID':
      return 'string';
    case 'Int':
      return 'int';
    case 'Float':
      return 'float';
    case 'Boolean':
      return 'boolean';
    case 'JSON':
      return 'json';
  }
}

export function dtypeOf(t: LogicalType): pl.DataType {
  switch (t) {
    case 'string':
    case 'json':
      return pl.String;
    case 'int':
      return pl.Int64;
    case 'float':
      return pl.Float64;
    case 'boolean':
      return pl.Bool;
  }
}

/** The type a value would get in a column that does not exist yet; undefined for null. */
export function inferType(v: unknown): LogicalType | undefined {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case 'string':
      return 'string';
    // A number of an inferred column is float: `4` in one batch and `4.5` in the next must not conflict.
    case 'number':
      return 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'json (array)';
  if (typeof v === 'object') return 'json (object)';
  return typeof v;
}

export interface ColumnSpec {
  type: LogicalType;
  /** Declared `ID`: numbers are accepted and stored as their decimal text (lossless). */
  idLike?: boolean;
}

/**
 * Converts the values of one column to what the Parquet column holds, or throws a
 * TypeConflictError naming table, column and both types. JSON columns hold JSON text; a string
 * arriving for a JSON column is kept as the JSON text it claims to be (checked on read, per cell).
 */
export function coerceColumn(table: string, column: string, spec: ColumnSpec, values: unknown[]): unknown[] {
  const out = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    let ok: unknown;
    switch (spec.type) {
      case 'string':
        if (typeof v === 'string') ok = v;
        else if (
          spec.idLike &&
          (typeof v === 'number' || typeof v === 'bigint') &&
          Number.isInteger(Number(v))
        )
          ok = String(v);
        break;
      case 'int':
        if (typeof v === 'number' && Number.isSafeInteger(v)) ok = v;
        else if (
          typeof v === 'bigint' &&
          v <= BigInt(Number.MAX_SAFE_INTEGER) &&
          v >= -BigInt(Number.MAX_SAFE_INTEGER)
        )
          ok = Number(v);
        break;
      case 'float':
        if (typeof v === 'number') ok = v;
        break;
      case 'boolean':
        if (typeof v === 'boolean') ok = v;
        break;
      case 'json':
        ok = typeof v === 'string' ? v : JSON.stringify(v);
        break;
    }
    if (ok === undefined) throw new TypeConflictError(table, column, spec.type, describe(v));
    out[i] = ok;
  }
  return out;
}
