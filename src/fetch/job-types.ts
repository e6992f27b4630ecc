/** Fetch jobs as the engine reports them (DESIGN §4 `FetchProgress`): the state of one job. */
export type JobStatus = 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED';

/**
 * One state of a fetch job (DESIGN §4 `FetchProgress`); the latest event wins. Status: SUCCEEDED
 * when no batch failed (IDs the upstream does not have are counted in `notFoundCount`, not as
 * failures), PARTIAL when some batches failed, FAILED when all did.
 */
export interface FetchProgress {
  jobId: string;
  table: string;
  status: JobStatus;
  totalIds: number;
  batchesTotal: number;
  batchesDone: number;
  rowsFetched: number;
  /** IDs of failed batches so far. */
  failedCount: number;
  /** IDs the upstream did not return (and, for warm, IDs already known not to exist). */
  notFoundCount: number;
  /** Empty while RUNNING; the full list on the final event (and from `job(id)`). */
  failedIds: string[];
  elapsedMs: number;
  /** Estimated time left; null until one batch has finished. */
  etaMs: number | null;
  message: string;
}

export type ProgressListener = (event: FetchProgress) => void;

export interface JobRegistry {
  get(jobId: string): FetchProgress | undefined;
  /** The latest state of every job remembered (running first, then finished), newest first. */
  list(): FetchProgress[];
  /** Every event of every job; returns the unsubscribe function. */
  subscribe(listener: ProgressListener): () => void;
}
