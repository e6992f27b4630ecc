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
  for (const [id, cols] of missing) {
    const columns = [...cols].sort();
    const key = columns.join('\u0000');
    const g = groups.get(key);
    if (g) g.ids.push(id);
    else groups.set(key, { columns, ids: [id] });
  }
  const size = batchSize(missing.size, maxSize);
  const batches: PlannedBatch[] = [];
  for (const { columns, ids } of groups.values()) {
    for (let i = 0; i < ids.length; i += size) batches.push({ ids: ids.slice(i, i + size), columns });
  }
  return batches;
}
