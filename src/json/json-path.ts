/**
 * Dot paths into JSON columns (`details.cast.0.name`, DESIGN §4 `field(path:)`).
 *
 * Extraction is done in JS over decoded cells, not in polars: polars' `jsonPathMatch` turns
 * every value into text and its `jsonDecode` fails the whole column on one bad cell, while the
 * contract needs typed values and a JSON_PARSE_ERROR for that one cell only
 * (figures in bench/README.md, "JSON path extraction").
 */
import { BadInputError } from '../errors.js';

export interface ParsedPath {
  /** The path as the client wrote it; used as the result column's name. */
  raw: string;
  /** The column the path starts in. */
  column: string;
  /** Keys and array indices below the column; empty for a plain column name. */
  steps: Array<string | number>;
}

export const MAX_PATH_STEPS = 32;

// Only canonical non-negative integers become indices: "007" stays a key, so it can still
// reach an object key "007", and huge digit runs never turn into imprecise floats.
const INDEX = /^(?:0|[1-9]\d{0,14})$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Splits a column name or dot path into the column and the steps below it.
 * Throws BadInputError, showing the path, when it cannot be a path.
 */
export function parsePath(path: string): ParsedPath {
  const bad = (why: string): BadInputError =>
    new BadInputError(`Invalid column path ${JSON.stringify(path)}: ${why}.`, { path });
  if (typeof path !== 'string' || path.length === 0) throw bad('a path must be a column name or a dot path');
  if (CONTROL.test(path)) throw bad('it contains control characters');
  if (path.startsWith('.') || path.endsWith('.')) throw bad('it must not start or end with a dot');
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) throw bad('it has an empty segment (two dots in a row)');
  if (segments.length - 1 > MAX_PATH_STEPS) {
    throw bad(`it has ${segments.length - 1} steps below the column; at most ${MAX_PATH_STEPS} are allowed`);
  }
  const [column, ...rest] = segments as [string, ...string[]];
  return { raw: path, column, steps: rest.map((s) => (INDEX.test(s) ? Number(s) : s)) };
}

/**
 * Thrown by `extractPath` / `decodeJsonCell` when a cell is not valid JSON. Internal to the
 * engine (not a CacheGateError): the caller knows the table, ID and column and turns it into
 * `JsonParseError(table, id, column, failure.cause)` for that cell alone. A throw rather than a
 * result object keeps the common, valid case allocation-free; bad cells are rare.
 */
export class CellParseFailure extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : 'invalid JSON', { cause });
    this.name = 'CellParseFailure';
  }
}

/** A JSON column cell as stored (JSON text, or null) → its value; null stays null. */
export function decodeJsonCell(cell: unknown): unknown {
  if (cell === null || cell === undefined) return null;
  if (typeof cell !== 'string') return cell;
  try {
    return JSON.parse(cell) as unknown;
  } catch (e) {
    throw new CellParseFailure(e);
  }
}

/**
 * The value at `steps` inside a JSON cell (text or already decoded). Anything missing — a key,
 * an index out of range, a step into a scalar — gives null, never undefined, so the GraphQL
 * layer and polars see one "absent" value. Throws CellParseFailure for invalid JSON text.
 */
export function extractPath(cell: unknown, steps: ReadonlyArray<string | number>): unknown {
  let value = decodeJsonCell(cell);
  for (const step of steps) {
    if (value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      // A string step on an array ("length", "foo") is a miss, not a property read.
      if (typeof step !== 'number') return null;
      value = value[step];
    } else {
      const key = String(step);
      // Own keys only: "__proto__" or "constructor" must not reach Object.prototype.
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return value === undefined ? null : value;
}
