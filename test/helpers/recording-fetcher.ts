/**
 * A fetcher over an in-memory table that records every call, so tests can assert exactly
 * which IDs and columns reached the upstream (the habit of dataloader's own tests).
 */
import type { FetchContext, Fetcher, SourceRow } from '../../src/sources/types.js';

export interface FetchCall {
  ids: string[];
  columns: string[];
  batch: number;
  attempt: number;
}

export interface RecordingFetcher {
  fetch: Fetcher;
  calls: FetchCall[];
}

export function recordingFetcher(
  rowFor: (id: string) => SourceRow | undefined,
  options: { failOn?: (call: FetchCall) => boolean } = {},
): RecordingFetcher {
  const calls: FetchCall[] = [];
  const fetch: Fetcher = async (ids: string[], columns: string[], ctx: FetchContext) => {
    const call = { ids: [...ids], columns: [...columns], batch: ctx.batch, attempt: ctx.attempt };
    calls.push(call);
    if (options.failOn?.(call)) throw new Error(`upstream refused batch ${ctx.batch}`);
    const rows: SourceRow[] = [];
    for (const id of ids) {
      const full = rowFor(id);
      if (!full) continue;
      const row: SourceRow = { id };
      for (const c of columns) row[c] = full[c] ?? null;
      rows.push(row);
    }
    return rows;
  };
  return { fetch, calls };
}

/** Rows of a generated "movies" table: id n → title, year, rating and a JSON details column. */
export function movieRow(id: string): SourceRow | undefined {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) return undefined;
  return {
    id,
    title: `Movie ${n}`,
    year: 1950 + (n % 70),
    rating: (n % 100) / 10,
    details: { cast: [{ name: `Actor ${n}`, role: 'lead' }], meta: { score: n % 7, tags: ['a', 'b'] } },
  };
}
