/**
 * How many IDs go to the upstream at once. `max(100, ceil(missing / 100))` keeps a cold lookup
 * to at most 100 batches (so progress has a useful grain and per-call overhead stays bounded)
 * while never sending fewer than 100 IDs per call; a source's own limit (bind parameters, page
 * size) caps it, which may make more than 100 batches.
 */
export function batchSize(missing: number, maxSize?: number): number {
  const size = Math.max(100, Math.ceil(missing / 100));
  return maxSize !== undefined && maxSize > 0 ? Math.min(size, maxSize) : size;
}

export interface PlannedBatch {
  ids: string[];
  columns: string[];
}

/** IDs lacking the same columns, whatever their order: they are fetched together. */
interface Group {
  columns: string[];
  ids: string[];
}

/** The key of a column set: its columns sorted, so ['b','a'] and ['a','b'] group together. */
export function columnsKey(columns: readonly string[]): string {
  return [...columns].sort().join('\u0000');
}

function groupByColumns(missing: ReadonlyMap<string, readonly string[]>): Group[] {
  const groups = new Map<string, Group>();
  // Sorting each ID's columns cost ~0.4 s for 1M IDs; callers mostly share one order, so the
  // group is found by the columns as given and sorted only once per distinct order.
  const byGiven = new Map<string, Group>();
  let lastCols: readonly string[] | undefined;
  let lastGroup: Group | undefined;
  for (const [id, cols] of missing) {
    // Runs of IDs lack the same columns: compared with the previous ID's, without a key string
    // per ID (those strings were a fifth of a 1M-ID fill's garbage).
    if (lastGroup !== undefined && sameColumns(lastCols!, cols)) {
      lastGroup.ids.push(id);
      continue;
    }
    const given = cols.join('\u0000');
    let g = byGiven.get(given);
    if (!g) {
      const columns = [...cols].sort();
      const key = columns.join('\u0000');
      g = groups.get(key) ?? { columns, ids: [] };
      groups.set(key, g);
      byGiven.set(given, g);
    }
    g.ids.push(id);
    lastCols = cols;
    lastGroup = g;
  }
  return [...groups.values()];
}

/** The same columns in the same order (the same array, or equal ones). */
export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Splits the missing IDs into batches. IDs lacking different column sets are fetched apart, so
 * the upstream is asked exactly for what each ID lacks; the size comes from the total count.
 */
export function planBatches(
  missing: ReadonlyMap<string, readonly string[]>,
  maxSize?: number,
): PlannedBatch[] {
  return cutBatches(missing, batchSize(missing.size, maxSize), true).batches;
}

/**
 * Batches of `size` cut from `missing`, per column set. With `all` false only full batches are
 * cut and the remainder is returned, to be carried into the next window of a large request:
 * cutting window by window then makes exactly the batches `planBatches` makes of the whole.
 */
export function cutBatches(
  missing: ReadonlyMap<string, readonly string[]>,
  size: number,
  all: boolean,
): { batches: PlannedBatch[]; rest: Map<string, readonly string[]> } {
  const batches: PlannedBatch[] = [];
  const rest = new Map<string, readonly string[]>();
  for (const { columns, ids } of groupByColumns(missing)) {
    const end = all ? ids.length : ids.length - (ids.length % size);
    for (let i = 0; i < end; i += size) batches.push({ ids: ids.slice(i, Math.min(i + size, end)), columns });
    for (let i = end; i < ids.length; i++) rest.set(ids[i]!, columns);
  }
  return { batches, rest };
}

/** How many batches `planBatches` makes of missing IDs counted per column set (`columnsKey`). */
export function plannedBatchCount(groups: ReadonlyMap<string, number>, size: number): number {
  let n = 0;
  for (const count of groups.values()) n += Math.ceil(count / size);
  return n;
}
