/** Checks a source's answer against the batch it was asked for. */
import { ColumnNotFoundError, UpstreamFailedError } from '../errors.js';
import type { DataFrameLike, SourceResult, SourceRow } from '../sources/types.js';
import type { PlannedBatch } from './batch-plan.js';

function isDataFrameLike(r: SourceResult): r is DataFrameLike {
  return !Array.isArray(r) && typeof (r as DataFrameLike).toRecords === 'function';
}

/** What the upstream sent for one batch, ready for the store. */
export interface FetchedBatch {
  rows: SourceRow[];
  columns: string[];
  /** IDs asked for and not returned. */
  notFound: string[];
  fetchedAt: number;
}

/**
 * Checks a source's answer against its batch and splits the batch's IDs into the rows returned
 * and the IDs the upstream does not have. Every row needs an `id` (string or integer) and every
 * requested column as a key (a null is an upstream null; a missing key means the upstream has no
 * such column). Rows for IDs not asked for are ignored.
 */
export function fetchedBatch(result: SourceResult, batch: PlannedBatch, table: string): FetchedBatch {
  if (!Array.isArray(result) && !isDataFrameLike(result)) {
    throw new UpstreamFailedError(
      `The fetcher of table "${table}" must resolve to an array of rows or a DataFrame with an "id" column, but got: ${typeof result}.`,
      { table },
    );
  }
  const records = isDataFrameLike(result) ? result.toRecords() : result;
  // ID asked for → returned yet.
  const returned = new Map<string, boolean>();
  for (const id of batch.ids) returned.set(id, false);
  const rows: SourceRow[] = [];
  for (const rec of records) {
    const raw = rec?.['id'];
    const id =
      typeof raw === 'string'
        ? raw
        : typeof raw === 'number' && Number.isSafeInteger(raw)
          ? String(raw)
          : typeof raw === 'bigint'
            ? String(raw)
            : undefined;
    if (id === undefined) {
      throw new UpstreamFailedError(
        `The fetcher of table "${table}" returned a row without a string or integer "id" (got ${JSON.stringify(raw)}); every row must carry its id.`,
        { table },
      );
    }
    if (!returned.has(id)) continue;
    returned.set(id, true);
    for (const c of batch.columns) if (!(c in rec)) throw new ColumnNotFoundError(table, c);
    rows.push(id === raw ? rec : { ...rec, id });
  }
  const notFound = batch.ids.filter((id) => returned.get(id) !== true);
  return { rows, columns: batch.columns, notFound, fetchedAt: Date.now() };
}
