/**
 * The engine's public surface: what `createCache` returns and what the GraphQL server calls.
 * Nothing here knows GraphQL; the server maps `CacheGateError`s to GraphQLErrors.
 */

import type { CacheGateError } from '../errors.js';
import type { UpstreamBatchReport } from '../fetch/coordinator.js';
import type { FetchLockStatus } from '../fetch/fetch-locks.js';
import type { FetchProgress, JobRegistry, ProgressListener } from '../fetch/job-types.js';
import type { SourceHealth } from '../sources/guard.js';
import type { Fetcher } from '../sources/types.js';

export type { FetchLockStatus } from '../fetch/fetch-locks.js';
export type { FetchProgress, JobRegistry, JobStatus, ProgressListener } from '../fetch/job-types.js';

export interface GetDataOptions {
  /** Used instead of the table's configured source. */
  fetcher?: Fetcher;
  onProgress?: ProgressListener;
  /**
   * Largest upstream work this call may cause (missing IDs × their missing columns); over it,
   * LimitExceededError before anything is fetched. Unlimited when absent.
   */
  maxUpstreamCost?: number;
  /**
   * Wait until fetched rows are on disk (flushed as a delta) before answering. By default the
   * answer comes as soon as they are in the write buffer, visible to every lookup of the process.
   */
  durable?: boolean;
}

export interface CloseOptions {
  /** Message of the final event of jobs still running. */
  reason?: string;
  /** Longest wait for running work, then again for closing sources (default 5 s each). */
  graceMs?: number;
}

/** Per-ID answer of `lookup`: the value of each requested column / dot path. */
export type RowValues = Record<string, unknown>;

export interface LookupResult {
  /** Rows found, keyed by ID; each maps every requested column string to its value. */
  rows: Map<string, RowValues>;
  /** IDs without a row and why (DATA_NOT_FOUND, UPSTREAM_FAILED, …). */
  errors: Map<string, CacheGateError>;
  /** Cells that could not be read (JSON_PARSE_ERROR), keyed by ID then column string. */
  cellErrors: Map<string, Map<string, CacheGateError>>;
  /** Set when the lookup had to fetch: the job that did it. */
  jobId?: string;
}

export interface TableStats {
  table: string;
  rows: number;
  parts: number;
  /** Delta files not yet compacted into parts. */
  deltas: number;
  bytes: number;
  hits: number;
  misses: number;
  /** Upstream fetch calls (batches attempted). */
  fetches: number;
  /** Cache lookups served (one per `lookup`/`getData` call). */
  lookups: number;
}

/** What `createCache` returns: the engine, usable as a library and by the server. */
export type { UpstreamBatchReport };

export interface Cache {
  readonly config: import('../config/types.js').CacheGateConfig;
  readonly jobs: JobRegistry;
  /** Calls `listener` for every upstream batch once it settled; returns the unsubscribe function. */
  onUpstreamBatch(listener: (report: UpstreamBatchReport) => void): () => void;
  /** Configured table names. */
  tables(): string[];
  /**
   * Rows of `ids` × `columns` (names or dot paths) as a polars DataFrame in the order of `ids`:
   * an `id` column, then one column per requested string. Throws DataNotFoundError,
   * ColumnNotFoundError, JsonParseError, BadInputError, UpstreamFailedError.
   */
  getData(
    table: string,
    ids: ReadonlyArray<string | number>,
    columns: readonly string[],
    options?: GetDataOptions,
  ): Promise<import('nodejs-polars').DataFrame>;
  /** Same engine, per-ID answers and per-ID errors instead of throwing (for the GraphQL layer). */
  lookup(
    table: string,
    ids: readonly string[],
    columns: readonly string[],
    options?: GetDataOptions,
  ): Promise<LookupResult>;
  /** Starts fetching in the background; returns the job's first event at once. */
  warm(table: string, ids: readonly string[], columns?: readonly string[]): FetchProgress;
  /** Drops those rows (or the whole table); returns how many rows were dropped. */
  invalidate(table: string, ids?: readonly string[]): Promise<number>;
  stats(table?: string): Promise<TableStats[]>;
  /** Drops rows past their TTL, expired not-found ids and files no version references. */
  compact(table?: string): Promise<void>;
  /**
   * Readiness of each configured source: a probe within `timeoutMs` (default 2 s) through its
   * circuit breaker (an open breaker answers `down` without calling the upstream).
   */
  health(timeoutMs?: number): Promise<SourceHealth[]>;
  /** State of the cross-replica fetch locks (`off` without `fetchLocks`; `down` while they fall open). */
  fetchLockStatus(): FetchLockStatus;
  /**
   * Ends running jobs (a final FAILED event saying `reason`), aborts upstream calls, waits up to
   * `graceMs` for in-flight writes, closes sources (again at most `graceMs`).
   */
  close(options?: CloseOptions): Promise<void>;
}
