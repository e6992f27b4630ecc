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

/**
 * Splits the missing IDs into batches. IDs lacking different column sets are fetched apart, so
 * the upstream is asked exactly for what each ID lacks; the size comes from the total count.
 */
export function planBatches(
  missing: ReadonlyMap<string, readonly string[]>,
  maxSize?: number,
): PlannedBatch[] {
  const groups = new Map<string, { columns: string[]; ids: string[] }>();
  // Sorting each ID's columns cost ~0.4 s for 1M IDs; callers mostly share one order, so the
  // group is found by the columns as given and sorted only once per distinct order.
  const byGiven = new Map<string, { columns: string[]; ids: string[] }>();
  let last: { cols: readonly string[]; group: { columns: string[]; ids: string[] } } | undefined;
  for (const [id, cols] of missing) {
    if (last?.cols === cols) {
      last.group.ids.push(id);
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
    last = { cols, group: g };
  }
  const size = batchSize(missing.size, maxSize);
  const batches: PlannedBatch[] = [];
  for (const { columns, ids } of groups.values()) {
    for (let i = 0; i < ids.length; i += size) batches.push({ ids: ids.slice(i, i + size), columns });
  }
  return batches;
}
