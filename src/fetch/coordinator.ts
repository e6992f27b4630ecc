/**
 * Fetches what the cache lacks: single-flight claims, the batch plan, and one job per call that
 * has something of its own to fetch (see `job-run.ts`). Each batch is written as soon as it is
 * fetched and its claims are released right after, so waiters resume batch by batch.
 */
import type { BatchConfig } from '../config/types.js';
import type { CacheGateError } from '../errors.js';
import type { Fetcher } from '../sources/types.js';
import { cutBatches, planBatches } from './batch-plan.js';
import { type FetchLocks, noFetchLocks } from './fetch-locks.js';
import { type ClaimedBatch, JobRun } from './job-run.js';
import type { FetchProgress, ProgressListener } from './job-types.js';
import type { Jobs } from './jobs.js';
import type { FetchedBatch } from './normalize-rows.js';
import type { ReplicaStore } from './replica-batch.js';
import type { InFlight } from './single-flight.js';

export type { FetchedBatch } from './normalize-rows.js';

/**
 * Puts one fetched batch into the store. Resolves once lookups see it (it may wait while the
 * store's write buffer is full); rejects when the store refuses the batch, which fails that
 * batch only.
 */
export type BatchWriter = (batch: FetchedBatch) => Promise<void>;

/**
 * A large request's missing IDs, one window at a time, so that what the job holds per ID (the
 * missing map, claims, the batch plan) is bounded by a window, not by the request.
 */
export interface MissingWindows {
  /** Missing IDs in all windows, counted by a first pass: they set the batch size. */
  count: number;
  /** Batches `planBatches` would make of them all (fewer if other callers fetch some first). */
  plannedBatches: number;
  /** The batch size for every window. */
  size: number;
  /** The next window's missing IDs (ID → columns), or undefined after the last. */
  next(): Promise<ReadonlyMap<string, readonly string[]> | undefined>;
}

export interface FetchRequest {
  table: string;
  /** ID → columns to fetch (empty: only whether the row exists), or a large request's windows. */
  missing: ReadonlyMap<string, readonly string[]> | MissingWindows;
  fetcher: Fetcher;
  maxBatchSize?: number | undefined;
  policy: BatchConfig;
  write: BatchWriter;
  onProgress?: ProgressListener | undefined;
  /** Counts upstream calls (every attempt). */
  onAttempt?: (() => void) | undefined;
  /** Each upstream batch of this call's job, once it has its rows or has failed for good. */
  onBatch?: ((report: UpstreamBatchReport) => void) | undefined;
  /** Who asks (the caller's trace context): batches of others it waits for link to it. */
  caller?: unknown;
  signal: AbortSignal;
  /**
   * Lets batches hand IDs over between replicas through the coordinator's fetch locks; without
   * it, this call only coordinates within the process.
   */
  replica?: ReplicaStore | undefined;
  /** Reuse a job id announced earlier (warm announces its job before looking at the cache). */
  jobId?: string | undefined;
  /**
   * What the caller already knew before fetching, reported in the job's counts: warm reports
   * every ID it was given, including those answered from the cache or known not to exist.
   */
  known?: { totalIds: number; notFound: number } | undefined;
}

export interface UpstreamBatchReport {
  table: string;
  ids: number;
  /** Upstream calls made for it: 1, plus one per retry. */
  attempts: number;
  /** From the first attempt until the rows arrived (backoff included), or until it failed. */
  ms: number;
  ok: boolean;
}

export interface FetchOutcome {
  /** The job this call ran, if it had anything of its own to fetch. */
  jobId?: string;
  /** Per ID: why it could not be fetched. */
  failures: Map<string, CacheGateError>;
}

export class Coordinator {
  constructor(
    private readonly jobs: Jobs,
    private readonly inFlight: InFlight,
    /** Across processes (DESIGN §6): in-process only by default. */
    private readonly locks: FetchLocks = noFetchLocks,
  ) {}

  /**
   * Starts fetching; `first` is the job's first event (undefined when other callers already
   * fetch everything asked), `done` settles when this call's batches and the batches of others
   * it waits for are in the store (or failed). `done` never rejects: failures are per ID.
   */
  start(req: FetchRequest): { first?: FetchProgress; done: Promise<FetchOutcome> } {
    if ('plannedBatches' in req.missing) return this.startWindows(req, req.missing);
    const { batches, waits } = this.inFlight.claim(
      req.table,
      req.missing,
      (mine) => planBatches(mine, req.maxBatchSize),
      req.caller,
    );
    const others = Promise.all(waits);
    if (batches.length === 0) return { done: others.then(() => ({ failures: new Map() })) };
    let job: JobRun;
    try {
      job = new JobRun(req, batches, this.jobs, this.inFlight, this.locks);
    } catch (e) {
      for (const { batch, flight } of batches) this.inFlight.release(req.table, batch.ids, flight);
      throw e;
    }
    const done = job.run().then(async (failures) => {
      await others;
      return { jobId: job.id, failures };
    });
    return { first: job.first, done };
  }

  /**
   * One job over a large request, claimed and planned a window at a time. IDs a window leaves
   * short of a full batch are carried into the next, so the batches are those `planBatches`
   * makes of the whole request (same size, same count), unless other callers fetch some first.
   */
  private startWindows(
    req: FetchRequest,
    windows: MissingWindows,
  ): { first: FetchProgress; done: Promise<FetchOutcome> } {
    const waits: Promise<void>[] = [];
    // IDs the last window left short of a full batch (a map of our own, from cutBatches).
    let rest = new Map<string, readonly string[]>();
    let last = false;
    const more = async (): Promise<ClaimedBatch[] | undefined> => {
      if (last) return undefined;
      const window = await windows.next();
      let ids: ReadonlyMap<string, readonly string[]> = rest;
      if (window === undefined) last = true;
      // The window's own map when nothing is carried, else added after the carried IDs, in place.
      else if (rest.size === 0) ids = window;
      else for (const [id, cols] of window) rest.set(id, cols);
      if (ids.size === 0) return last ? undefined : [];
      const claimed = this.inFlight.claim(
        req.table,
        ids,
        (mine) => {
          const cut = cutBatches(mine, windows.size, last);
          rest = cut.rest;
          return cut.batches;
        },
        req.caller,
      );
      for (const w of claimed.waits) waits.push(w);
      return claimed.batches;
    };
    const job = new JobRun(req, [], this.jobs, this.inFlight, this.locks, {
      more,
      plannedBatches: windows.plannedBatches,
      plannedIds: windows.count,
    });
    const done = job.run().then(async (failures) => {
      await Promise.all(waits);
      return { jobId: job.id, failures };
    });
    return { first: job.first, done };
  }
}
