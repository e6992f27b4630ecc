/** Validation of what callers pass to the engine: IDs and column paths. */
import { BadInputError } from '../errors.js';
import { type ParsedPath, parsePath } from '../json/json-path.js';

// C0 and C1 control characters (NUL, newlines, escapes…) and unpaired UTF-16 surrogates: the
// first break key separators, logs and SQL text, the second cannot be stored as UTF-8 (two
// different lone surrogates would become the same U+FFFD in a Parquet part).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be an ID, or undefined when it can. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'is an empty string; every id must be non-empty';
  const control = CONTROL.exec(id);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    return `contains the control character U+${code.toUpperCase()} at offset ${control.index}; ids must be printable text`;
  }
  if (LONE_SURROGATE.test(id))
    return 'is not valid Unicode (an unpaired surrogate); ids must be valid UTF-8 text';
  return undefined;
}

/**
 * IDs are strings in the cache (polars merges integers above 2^53 and mixes types into nulls),
 * so integer IDs are accepted as their decimal text — but never mixed with strings, where "7"
 * and 7 would silently become one ID.
 */
export function normalizeIds(ids: ReadonlyArray<string | number>): string[] {
  if (!Array.isArray(ids)) {
    throw new BadInputError(`ids must be an array of strings or integers, but got: ${typeof ids}.`);
  }
  let kind: 'string' | 'number' | undefined;
  const out = new Array<string>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (typeof id === 'string') {
      const problem = idProblem(id);
      if (problem !== undefined) throw new BadInputError(`ids[${i}] ${problem}.`, { id });
      out[i] = id;
    } else if (typeof id === 'number') {
      if (!Number.isSafeInteger(id)) {
        throw new BadInputError(
          `ids[${i}] is ${id}: numeric ids must be integers within ±2^53; pass larger ones as strings.`,
        );
      }
      out[i] = String(id);
    } else {
      throw new BadInputError(
        `ids[${i}] must be a string or an integer, but got: ${JSON.stringify(id) ?? typeof id}.`,
      );
    }
    const k = typeof id as 'string' | 'number';
    if (kind && kind !== k) {
      throw new BadInputError(
        `ids mix strings and numbers (ids[${i}] is a ${k}); pass all ids as strings or all as integers.`,
      );
    }
    kind = k;
  }
  return out;
}

/**
 * Distinct IDs in order of first appearance: a duplicate is fetched and answered once. Takes
 * ownership of `ids` and returns it as it is when it holds no duplicate (100,000 IDs: a copy
 * is 0.8 MB more garbage per request).
 */
export function distinct(ids: string[]): string[] {
  const set = new Set(ids);
  return set.size === ids.length ? ids : [...set];
}

export function parseColumns(columns: readonly string[]): ParsedPath[] {
  if (!Array.isArray(columns)) {
    throw new BadInputError(
      `columns must be an array of column names or dot paths, but got: ${typeof columns}.`,
    );
  }
  return columns.map((c) => parsePath(c));
}
