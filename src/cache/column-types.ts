/**
 * Logical column types of the cache and how JS values map onto them. Values are checked
 * one by one before a frame is built, because polars silently turns a value of another
 * type into null (`[1, "007"]` → `[1, null]`) and wraps integers that overflow: a value of
 * another kind is a TypeConflictError, a value its type cannot hold a ValueRefusedError.
 *
 * What a cell holds in JS, between `coerceColumn` and the store, and in the records the store
 * returns: string/json → string (JSON text), int → number, bigint → decimal string (JS numbers
 * stop being exact at 2^53), float → number, boolean → boolean, datetime → epoch ms (a Date when
 * read back from polars), date → days since 1970-01-01 (a Date at midnight UTC when read back).
 *
 * nodejs-polars 0.25.2 builds an Int64 Series from JS numbers only (bigints become nulls, and
 * reading an Int64 back gives lossy numbers), so BigInt columns go through `toSeries` and
 * `readValues`, which pass the decimal text through polars' exact string cast.
 */
import pl from 'nodejs-polars';
import type { ColumnType } from '../config/types.js';
import { TypeConflictError, ValueRefusedError } from '../errors.js';
import { JsonText } from '../json/json-text.js';
import {
  dateTimeMs,
  formatDate,
  formatDateTime,
  MS_PER_DAY,
  parseDate,
  parseDateTime,
} from './date-values.js';

export type LogicalType = 'string' | 'int' | 'bigint' | 'float' | 'boolean' | 'json' | 'datetime' | 'date';

export function logicalOf(t: ColumnType): LogicalType {
  switch (t) {
    case 'String':
    case 'ID':
      return 'string';
    case 'Int':
      return 'int';
    case 'BigInt':
      return 'bigint';
    case 'Float':
      return 'float';
    case 'Boolean':
      return 'boolean';
    case 'JSON':
      return 'json';
    case 'DateTime':
      return 'datetime';
    case 'Date':
      return 'date';
  }
}

/** The config's name of a logical type, for messages. */
const CONFIG_NAME: Record<LogicalType, string> = {
  string: 'String',
  int: 'Int',
  bigint: 'BigInt',
  float: 'Float',
  boolean: 'Boolean',
  json: 'JSON',
  datetime: 'DateTime',
  date: 'Date',
};

export function dtypeOf(t: LogicalType): pl.DataType {
  switch (t) {
    case 'string':
    case 'json':
      return pl.String;
    // Int stays Int64 on disk although it holds 32 bits: caches written before Int was checked
    // hold Int64 parts, and parts of one table must agree on a column's dtype to be concatenated.
    case 'int':
    case 'bigint':
      return pl.Int64;
    case 'float':
      return pl.Float64;
    case 'boolean':
      return pl.Bool;
    case 'datetime':
      return pl.Datetime('ms', 'UTC');
    case 'date':
      return pl.Date;
  }
}

/** The type a value would get in a column that does not exist yet; undefined for null. */
export function inferType(v: unknown): LogicalType | undefined {
  if (v === null || v === undefined) return undefined;
  // Checked JSON text: an object or array makes a JSON column; a scalar the type it had parsed.
  if (v instanceof JsonText) {
    const value = v.value();
    return typeof value === 'object' && value !== null ? 'json' : inferType(value);
  }
  switch (typeof v) {
    case 'string':
      return 'string';
    // A number of an inferred column is float: `4` in one batch and `4.5` in the next must not conflict.
    case 'number':
      return 'float';
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    default:
      return v instanceof Date ? 'datetime' : 'json';
  }
}

function describe(v: unknown): string {
  if (v instanceof JsonText) return describe(v.value());
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof Date) return 'datetime';
  if (Array.isArray(v)) return 'json (array)';
  if (typeof v === 'object') return 'json (object)';
  return typeof v;
}

/** `describe`, with the likely cause when decimal text meets a number column. */
function describeFor(type: LogicalType, v: unknown): string {
  if ((type === 'int' || type === 'float') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) {
    return 'decimal text (PostgreSQL int8 and numeric arrive as text: declare int8 BigInt and numeric String)';
  }
  return describe(v);
}

/** A short, JSON-safe rendering of a refused value for messages and `extensions.value`. */
export function showValue(v: unknown, max = 80): string {
  let text: string;
  if (typeof v === 'string') text = JSON.stringify(v);
  else if (typeof v === 'bigint' || typeof v === 'number') text = String(v);
  else if (v instanceof Date) text = Number.isNaN(v.getTime()) ? 'Invalid Date' : `Date(${v.toISOString()})`;
  else {
    try {
      text = JSON.stringify(v) ?? String(v);
    } catch {
      text = Object.prototype.toString.call(v);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface ColumnSpec {
  type: LogicalType;
  /** Declared `ID`: numbers are accepted and stored as their decimal text (lossless). */
  idLike?: boolean;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_INT = /^-?\d+$/;
const SHORT_CANONICAL_INT = /^(?:0|-?[1-9]\d{0,17})$/;
const SAFE_DIGITS = /^-?\d{1,15}$/;

/** Why a value of the right kind does not fit; the message reads "<value> <why>". */
class Refusal {
  constructor(readonly why: string) {}
}
const NOT_FINITE = new Refusal('is not a finite number, which no column type can store');
const OUTSIDE_INT = new Refusal(
  'is outside the 32-bit range of Int (as GraphQL Int); declare the column BigInt',
);
const OUTSIDE_BIGINT = new Refusal('is outside the signed 64-bit range of BigInt');
const BAD_DATETIME = new Refusal('is not an ISO 8601 date-time between years 0001 and 9999');
const BAD_DATE = new Refusal(
  'is not a calendar date (YYYY-MM-DD, or an instant at 00:00 UTC) between years 0001 and 9999',
);

function asInt(v: unknown): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return NOT_FINITE;
    if (!Number.isInteger(v)) return undefined;
    return v >= INT32_MIN && v <= INT32_MAX ? v : OUTSIDE_INT;
  }
  if (typeof v === 'bigint') {
    return v >= INT32_MIN && v <= INT32_MAX ? Number(v) : OUTSIDE_INT;
  }
  return undefined;
}

function asBigInt(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v.toString() : OUTSIDE_BIGINT;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return NOT_FINITE;
    if (!Number.isInteger(v)) return undefined;
    // A float beyond 2^53 may already have been rounded on its way here: storing it would make
    // the loss permanent, so the source must send the exact digits.
    return Number.isSafeInteger(v)
      ? String(v)
      : new Refusal('is beyond 2^53, where a JS number may have been rounded; send it as a string or bigint');
  }
  if (typeof v === 'string') {
    // Up to 18 digits without a leading zero: in range and canonical already (int8 from SQL).
    if (SHORT_CANONICAL_INT.test(v)) return v;
    if (!DECIMAL_INT.test(v)) return new Refusal('is not a decimal integer');
    const n = BigInt(v);
    return n >= INT64_MIN && n <= INT64_MAX ? n.toString() : OUTSIDE_BIGINT;
  }
  return undefined;
}

function asJson(v: unknown): unknown {
  // A string is JSON text (what a `json` column or an HTTP body holds), so it must parse; a
  // JSON string value is sent quoted: `"\"hello\""`. Taking a plain string as a JSON string
  // instead would store text that was meant to be parsed as a mere string, silently.
  if (typeof v === 'string') {
    try {
      JSON.parse(v);
      return v;
    } catch {
      return new Refusal('is not valid JSON text (a string in a JSON column is parsed as JSON)');
    }
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return NOT_FINITE;
  try {
    const text = JSON.stringify(v);
    return text === undefined ? new Refusal('has no JSON form') : text;
  } catch (e) {
    return new Refusal(`cannot be written as JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function asDateTime(v: unknown): unknown {
  if (v instanceof Date) return dateTimeMs(v) ?? BAD_DATETIME;
  if (typeof v === 'string') return parseDateTime(v) ?? BAD_DATETIME;
  // PostgreSQL's `infinity` timestamps arrive from pg as ±Infinity.
  if (typeof v === 'number' && !Number.isFinite(v)) return BAD_DATETIME;
  return undefined;
}

function asDate(v: unknown): unknown {
  if (typeof v !== 'string' && !(v instanceof Date)) {
    return typeof v === 'number' && !Number.isFinite(v) ? BAD_DATE : undefined;
  }
  return parseDate(v) ?? BAD_DATE;
}

/** The stored form of one non-null value; undefined when it is of another kind; a Refusal. */
function coerceValue(spec: ColumnSpec, v: unknown): unknown {
  // Checked JSON text (a PostgreSQL json value): a JSON column keeps it; another type judges the value.
  if (v instanceof JsonText) {
    if (spec.type === 'json') return v.text;
    const value = v.value();
    return value === null ? null : coerceValue(spec, value);
  }
  switch (spec.type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (spec.idLike && (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))))
        return String(v);
      return undefined;
    case 'int':
      return asInt(v);
    case 'bigint':
      return asBigInt(v);
    case 'float':
      if (typeof v !== 'number') return undefined;
      return Number.isFinite(v) ? v : NOT_FINITE;
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined;
    case 'json':
      return asJson(v);
    case 'datetime':
      return asDateTime(v);
    case 'date':
      return asDate(v);
  }
}

/**
 * Converts the values of one column to what the Parquet column holds, or throws: a
 * TypeConflictError naming table, column and both types for a value of another kind, a
 * ValueRefusedError naming table, column, id and the value for one the type cannot hold.
 * `ids[i]` is the id of the row of `values[i]`; without `ids` an error names the row's position.
 */
export function coerceColumn(
  table: string,
  column: string,
  spec: ColumnSpec,
  values: readonly unknown[],
  ids?: readonly string[],
): unknown[] {
  const out = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    const ok = coerceValue(spec, v);
    if (ok === undefined) throw new TypeConflictError(table, column, spec.type, describeFor(spec.type, v));
    if (ok instanceof Refusal) {
      const id = ids?.[i];
      const at = id === undefined ? { row: i } : { id };
      throw new ValueRefusedError(table, column, at, CONFIG_NAME[spec.type], showValue(v), ok.why);
    }
    out[i] = ok;
  }
  return out;
}

/**
 * A Series of `type` from stored values (`coerceColumn`'s output, or cells read back by
 * `readValues`). Use it instead of `pl.Series(name, values, dtypeOf(type))`, which turns BigInt
 * text into nulls.
 */
export function toSeries(name: string, type: LogicalType, values: readonly unknown[]): pl.Series {
  const nulled = (f: (v: NonNullable<unknown>) => unknown) =>
    values.map((v) => (v === null || v === undefined ? null : f(v)));
  switch (type) {
    case 'bigint':
      // Up to 15 digits a JS number is exact, and polars takes numbers 4× faster than text;
      // beyond, polars parses the decimal text: exact over the whole int64 range.
      if (
        values.every((v) => v === null || v === undefined || (typeof v === 'string' && SAFE_DIGITS.test(v)))
      ) {
        return pl.Series(name, nulled(Number), pl.Int64);
      }
      return pl.Series(name, nulled(String), pl.String).cast(pl.Int64, true);
    case 'datetime':
      return pl.Series(
        name,
        nulled((v) => (v instanceof Date ? v.getTime() : v)),
        pl.Datetime('ms', 'UTC'),
      );
    case 'date':
      return pl.Series(
        name,
        nulled((v) => (v instanceof Date ? v.getTime() / MS_PER_DAY : v)),
        pl.Date,
      );
    default:
      return pl.Series(name, values as unknown[], dtypeOf(type));
  }
}

/** A column's cells as JS values (see the header); exact for BigInt, unlike `toArray()`. */
export function readValues(series: pl.Series, type: LogicalType | undefined): unknown[] {
  if (type === 'bigint') return series.cast(pl.String).toArray() as unknown[];
  return series.toArray() as unknown[];
}

/** `frame.toRecords()`, exact for BigInt columns (given by `types`). */
export function toRecords(
  frame: pl.DataFrame,
  types: Readonly<Record<string, LogicalType>>,
): Record<string, unknown>[] {
  const big = frame.columns.filter((c) => types[c] === 'bigint');
  const exact = big.length === 0 ? frame : frame.withColumns(...big.map((c) => pl.col(c).cast(pl.String)));
  return exact.toRecords();
}

/**
 * What the engine returns for a stored cell, in JS records and over GraphQL: BigInt as decimal
 * text, DateTime as ISO 8601 UTC text, Date as `YYYY-MM-DD`; other types as they are stored.
 */
export function toOutputValue(type: LogicalType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'bigint':
      return typeof value === 'string' ? value : String(value);
    case 'int':
    case 'float':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'datetime':
      return value instanceof Date || typeof value === 'number' ? formatDateTime(value) : value;
    case 'date':
      return value instanceof Date || typeof value === 'number' ? formatDate(value) : value;
    default:
      return value;
  }
}
