/**
 * Fetches what the cache lacks: single-flight claims, the batch plan, batches run `concurrency`
 * at a time (1 by default, so the upstream is not overwhelmed), retries, write-back of fetched
 * batches in groups (see `shouldFlush`), and one progress event per batch.
 */
import { randomUUID } from 'node:crypto';
import type { BatchConfig } from '../config/types.js';
import type { FetchProgress, JobStatus, ProgressListener } from '../engine-types.js';
import {
  type CacheGateError,
  ColumnNotFoundError,
  isCacheGateError,
  UpstreamFailedError,
} from '../errors.js';
import type { DataFrameLike, Fetcher, SourceResult, SourceRow } from '../sources/types.js';
import { type PlannedBatch, planBatches } from './batch-plan.js';
import { isolateFailure } from './isolate.js';
import type { Jobs } from './jobs.js';
import { TimeoutError, withRetry } from './retry.js';
import type { InFlight } from './single-flight.js';

export interface FetchedBatch {
  rows: SourceRow[];
  columns: string[];
  notFound: string[];
  fetchedAt: number;
}

/** Writes batches as one cache version; answers an error per batch that could not be written. */
export type BatchWriter = (batches: FetchedBatch[]) => Promise<Array<Error | undefined>>;

/** Longest time fetched rows wait in memory before they are written, however few. */
const FLUSH_EVERY_MS = 5_000;

export interface FetchRequest {
  table: string;
  /** ID → columns to fetch. */
  missing: ReadonlyMap<string, readonly string[]>;
  fetcher: Fetcher;
  maxBatchSize?: number | undefined;
  policy: BatchConfig;
  write: BatchWriter;
  /** Rows the table holds now: sizes the write groups. */
  tableRows: () => number;
  onProgress?: ProgressListener | undefined;
  /** Counts upstream calls (every attempt). */
  onAttempt?: (() => void) | undefined;
  signal: AbortSignal;
  /** Reuse a job id announced earlier (warm announces its job before looking at the cache). */
  jobId?: string | undefined;
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
  ) {}

  /**
   * Starts fetching; `first` is the job's first event (undefined when other callers already
   * fetch everything asked), `done` settles when this call's batches and the fetches it waits
   * for have finished. Never rejects: failures are reported per ID.
   */
  start(req: FetchRequest): { first?: FetchProgress; done: Promise<FetchOutcome> } {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const { mine, others } = this.inFlight.claim(req.table, req.missing, settled);
    const batches = planBatches(mine, req.maxBatchSize);
    if (batches.length === 0) {
      settle();
      return { done: Promise.all(others).then(() => ({ failures: new Map() })) };
    }
    const job = new JobRun(req, batches, this.jobs);
    const run = job
      .run(this.inFlight)
      .finally(() => {
        // Whatever happened, no claim of this job may outlive it: waiters would hang.
        for (const b of batches) this.inFlight.release(req.table, b.ids, b.columns);
        settle();
      })
      .then(async (failures) => {
        await Promise.all(others);
        return { jobId: job.id, failures };
      });
    return { first: job.first, done: run };
  }
}

class JobRun {
  readonly id: string;
  readonly first: FetchProgress;
  private readonly started = Date.now();
  private readonly failures = new Map<string, CacheGateError>();
  private readonly failedIds: string[] = [];
  private batchesDone = 0;
  private rowsFetched = 0;
  private readonly pending: Array<{ batch: PlannedBatch; fetched: FetchedBatch }> = [];
  private lastFlush = Date.now();
  private flushing: Promise<void> = Promise.resolve();
  private readonly totalIds: number;

  constructor(
    private readonly req: FetchRequest,
    private readonly batches: PlannedBatch[],
    private readonly jobs: Jobs,
  ) {
    this.id = req.jobId ?? randomUUID();
    this.totalIds = batches.reduce((n, b) => n + b.ids.length, 0);
    this.first = this.emit(
      'RUNNING',
      `fetching ${this.totalIds} ids of ${req.table} in ${batches.length} batches`,
    );
  }

  async run(inFlight: InFlight): Promise<Map<string, CacheGateError>> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.batches.length) {
        const index = next++;
        const batch = this.batches[index]!;
        try {
          // After close(), the remaining batches fail at once instead of calling the upstream.
          this.req.signal.throwIfAborted();
          this.pending.push({ batch, fetched: await this.fetchBatch(batch, index + 1) });
        } catch (e) {
          // One bad ID must not fail the IDs batched with it: see isolate.ts.
          const isolated = await isolateFailure(
            batch,
            e,
            (part) => this.fetchBatch(part, index + 1, 0),
            this.req.signal,
          );
          for (const f of isolated.fetched) this.pending.push({ batch: f.batch, fetched: f.result });
          for (const f of isolated.failed) {
            this.fail(f.batch, f.error);
            inFlight.release(this.req.table, f.batch.ids, f.batch.columns);
          }
        }
        this.batchesDone++;
        if (this.shouldFlush()) await this.flush(inFlight);
        if (this.batchesDone < this.batches.length) this.emit('RUNNING', `batch ${index + 1} done`);
      }
    };
    const concurrency = Math.max(1, Math.min(this.req.policy.concurrency, this.batches.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
    await this.flush(inFlight);
    const failed = this.failedIds.length;
    const status: JobStatus = failed === 0 ? 'SUCCEEDED' : failed === this.totalIds ? 'FAILED' : 'PARTIAL';
    const firstError = this.failures.values().next().value;
    this.emit(status, failed === 0 ? 'done' : `${failed} ids failed: ${firstError?.message ?? ''}`);
    return this.failures;
  }

  /**
   * Writing after every batch rewrote a growing part once per batch (100 rewrites of a 1M-row
   * part for 10,000 new IDs: 100 s). Rows are written once they reach half the table's size —
   * so a cold fill rewrites each row about 3 times in all — or after FLUSH_EVERY_MS, so a long
   * job's progress lands on disk. A crash loses at most what waits in memory: a cache can refetch.
   */
  private shouldFlush(): boolean {
    if (this.pending.length === 0) return false;
    const rows = this.pending.reduce((n, p) => n + p.fetched.rows.length + p.fetched.notFound.length, 0);
    return rows >= this.req.tableRows() / 2 || Date.now() - this.lastFlush >= FLUSH_EVERY_MS;
  }

  /** Writes what waits; claims are released only now, so a waiter re-reads written rows. */
  private flush(inFlight: InFlight): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const items = this.pending.splice(0);
      if (items.length === 0) return;
      this.lastFlush = Date.now();
      let errors: Array<Error | undefined>;
      try {
        errors = await this.req.write(items.map((i) => i.fetched));
      } catch (e) {
        errors = items.map(() => (e instanceof Error ? e : new Error(String(e))));
      }
      items.forEach(({ batch, fetched }, i) => {
        const error = errors[i];
        if (error) {
          this.fail(batch, error);
          this.rowsFetched -= fetched.rows.length;
        }
        inFlight.release(this.req.table, batch.ids, batch.columns);
      });
    });
    return this.flushing;
  }

  private fail(batch: PlannedBatch, e: unknown): void {
    const err = asUpstreamError(e, this.req.table, batch.ids.length);
    for (const id of batch.ids) this.failures.set(id, err);
    this.failedIds.push(...batch.ids);
  }

  /** `retries` overrides the policy's (halves of a failed batch get one attempt each). */
  private async fetchBatch(batch: PlannedBatch, number: number, retries?: number): Promise<FetchedBatch> {
    const { table, fetcher } = this.req;
    const policy = retries === undefined ? this.req.policy : { ...this.req.policy, retries };
    const result = await withRetry(
      (signal, attempt) => {
        this.req.onAttempt?.();
        return fetcher(batch.ids, batch.columns, { table, signal, batch: number, attempt });
      },
      policy,
      this.req.signal,
    );
    const rows = normalizeRows(result, batch, table);
    const returned = new Set(rows.map((r) => r['id'] as string));
    const notFound = batch.ids.filter((id) => !returned.has(id));
    this.rowsFetched += rows.length;
    return { rows, columns: batch.columns, notFound, fetchedAt: Date.now() };
  }

  private emit(status: JobStatus, message: string): FetchProgress {
    const elapsedMs = Date.now() - this.started;
    const total = this.batches.length;
    const etaMs =
      status !== 'RUNNING'
        ? 0
        : this.batchesDone === 0
          ? null
          : Math.round((elapsedMs / this.batchesDone) * (total - this.batchesDone));
    const event: FetchProgress = {
      jobId: this.id,
      table: this.req.table,
      status,
      totalIds: this.totalIds,
      batchesTotal: total,
      batchesDone: this.batchesDone,
      rowsFetched: this.rowsFetched,
      failedIds: [...this.failedIds],
      elapsedMs,
      etaMs,
      message,
    };
    this.jobs.publish(event);
    try {
      this.req.onProgress?.(event);
    } catch {
      // A caller's progress callback must not break the job that other callers wait for.
    }
    return event;
  }
}

function isDataFrameLike(r: SourceResult): r is DataFrameLike {
  return !Array.isArray(r) && typeof (r as DataFrameLike).toRecords === 'function';
}

/**
 * Checks a source's answer against the batch: every row needs an `id` (string or integer) and
 * every requested column as a key (a null is an upstream null; a missing key means the upstream
 * has no such column). Rows for IDs not asked for are ignored.
 */
export function normalizeRows(result: SourceResult, batch: PlannedBatch, table: string): SourceRow[] {
  if (!Array.isArray(result) && !isDataFrameLike(result)) {
    throw new UpstreamFailedError(
      `The fetcher of table "${table}" must resolve to an array of rows or a DataFrame with an "id" column, but got: ${typeof result}.`,
      { table },
    );
  }
  const records = isDataFrameLike(result) ? result.toRecords() : result;
  const asked = new Set(batch.ids);
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
    if (!asked.has(id)) continue;
    for (const c of batch.columns) if (!(c in rec)) throw new ColumnNotFoundError(table, c);
    rows.push(id === raw ? rec : { ...rec, id });
  }
  return rows;
}

function asUpstreamError(e: unknown, table: string, count: number): CacheGateError {
  if (isCacheGateError(e)) return e;
  const reason = e instanceof TimeoutError ? e.message : e instanceof Error ? e.message : String(e);
  return new UpstreamFailedError(
    `Fetching ${count} ids of table "${table}" failed: ${reason}. Nothing of this batch was cached; retry later or warm these ids.`,
    { table },
    { cause: e },
  );
}
