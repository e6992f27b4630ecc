/** Validation of what callers pass to the engine: IDs and column paths. */
import { BadInputError } from './errors.js';
import { type ParsedPath, parsePath } from './json/json-path.js';

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
      if (id.length === 0)
        throw new BadInputError(`ids[${i}] is an empty string; every id must be non-empty.`);
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

/** Distinct IDs in order of first appearance: a duplicate is fetched and answered once. */
export function distinct(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

export function parseColumns(columns: readonly string[]): ParsedPath[] {
  if (!Array.isArray(columns)) {
    throw new BadInputError(
      `columns must be an array of column names or dot paths, but got: ${typeof columns}.`,
    );
  }
  return columns.map((c) => parsePath(c));
}
