/**
 * Large requests a window of IDs at a time (DESIGN §2, streaming). A first pass counts what the
 * cache lacks, which sets the batch size and count; the fetch then looks up, claims and fetches
 * one window after another. What the engine holds per ID (the missing map, claims, the batch
 * plan) is so bounded by the window, not by the request: a warm of 3,000,000 IDs needs no more
 * of it than one of 100,000.
 */
import { combineLookups, type StoreLookup } from '../cache/lookup.js';
import { batchSize, columnsKey, plannedBatchCount, sameColumns } from '../fetch/batch-plan.js';
import type { MissingWindows } from '../fetch/coordinator.js';

/** IDs per window: large enough that a window's lookup is one polars query, not per-ID work. */
export const WINDOW_IDS = 100_000;

export interface Survey {
  /** IDs lacking a column (or the row). */
  missing: number;
  /** IDs known not to exist upstream (within the not-found TTL). */
  notFound: number;
  /** Cells to fetch: per missing ID its missing columns, at least 1 (the upstream cost). */
  cells: number;
  /**
   * The lookup itself, when it was one (a small request), or its windows' reads combined when the
   * caller asked to keep them and nothing was missing: no need to look up again.
   */
  found?: StoreLookup;
  /** What to fetch: the missing IDs themselves, or windows for a large request. */
  request: ReadonlyMap<string, readonly string[]> | MissingWindows;
}

/**
 * What the cache lacks of `ids`. Up to `window` IDs, one lookup whose missing map is the
 * request; beyond, a counting pass over the windows, and windows the fetch reads again.
 */
export async function survey(
  ids: readonly string[],
  lookup: (ids: readonly string[]) => Promise<StoreLookup>,
  maxBatchSize: number | undefined,
  { window = WINDOW_IDS, keep = false }: { window?: number; keep?: boolean } = {},
): Promise<Survey> {
  if (ids.length <= window) {
    const res = await lookup(ids);
    return {
      missing: res.missing.size,
      notFound: res.notFound.length,
      cells: cellsOf(res.missing),
      request: res.missing,
      found: res,
    };
  }
  const groups = new Map<string, number>();
  let missing = 0;
  let notFound = 0;
  let cells = 0;
  // `keep` (a caller that answers with every row anyway): the window reads are kept while nothing
  // is missing, so a request the cache holds whole is read once, not counted then read again.
  let kept: StoreLookup[] | undefined = keep ? [] : undefined;
  for (let at = 0; at < ids.length; at += window) {
    const res = await lookup(ids.slice(at, at + window));
    if (res.missing.size > 0) kept = undefined;
    kept?.push(res);
    missing += res.missing.size;
    notFound += res.notFound.length;
    cells += cellsOf(res.missing);
    countGroups(res.missing, groups);
  }
  const size = batchSize(missing, maxBatchSize);
  let at = 0;
  const windows: MissingWindows = {
    count: missing,
    size,
    plannedBatches: plannedBatchCount(groups, size),
    async next() {
      while (at < ids.length) {
        const slice = ids.slice(at, at + window);
        at += window;
        const res = await lookup(slice);
        if (res.missing.size > 0) return res.missing;
      }
      return undefined;
    },
  };
  return { missing, notFound, cells, request: windows, ...(kept ? { found: combineLookups(kept) } : {}) };
}

function cellsOf(missing: ReadonlyMap<string, readonly string[]>): number {
  let n = 0;
  for (const cols of missing.values()) n += Math.max(1, cols.length);
  return n;
}

/** Counts missing IDs per column set (the lookup gives each ID its own array of columns). */
function countGroups(missing: ReadonlyMap<string, readonly string[]>, groups: Map<string, number>): void {
  const keyOf = new Map<string, string>();
  let lastCols: readonly string[] | undefined;
  let key = '';
  let run = 0;
  for (const cols of missing.values()) {
    // Runs of IDs lacking the same columns are counted without a key string per ID.
    if (lastCols !== undefined && sameColumns(lastCols, cols)) {
      run++;
      continue;
    }
    if (run > 0) groups.set(key, (groups.get(key) ?? 0) + run);
    const given = cols.join('\u0000');
    let k = keyOf.get(given);
    if (k === undefined) {
      k = columnsKey(cols);
      keyOf.set(given, k);
    }
    key = k;
    run = 1;
    lastCols = cols;
  }
  if (run > 0) groups.set(key, (groups.get(key) ?? 0) + run);
}
