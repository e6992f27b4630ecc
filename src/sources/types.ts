/**
 * The one shape every source has (shared/DESIGN.md §5): `fetch(ids, columns, ctx)` → rows.
 * Rows are objects holding `id` and the requested columns, or a polars DataFrame with an `id`
 * column (typed structurally here so that only `cache/` imports polars). An ID the source does
 * not return is not found; a requested column missing from a returned row is unknown upstream.
 */

export interface FetchContext {
  table: string;
  /** Aborted when the batch times out or the server shuts down. */
  signal: AbortSignal;
  /** 1-based batch number and attempt, for logs. */
  batch: number;
  attempt: number;
}

export type SourceRow = Record<string, unknown>;

/** Structural view of a polars DataFrame, enough to tell it apart and convert it. */
export interface DataFrameLike {
  readonly columns: string[];
  readonly height: number;
  toRecords(): Record<string, unknown>[];
}

export type SourceResult = SourceRow[] | DataFrameLike;

export type Fetcher = (ids: string[], columns: string[], ctx: FetchContext) => Promise<SourceResult>;

export interface Source {
  fetch: Fetcher;
  /** Largest batch the source accepts; the batch plan never exceeds it. */
  readonly maxBatchSize?: number;
  /** Columns the source can serve, when it can tell (used to reject unknown columns early). */
  columns?(): Promise<string[] | undefined>;
  /** Cheapest call that proves the upstream answers (readiness); rejects when it does not. */
  ping?(signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}
