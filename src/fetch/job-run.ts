/**
 * One fetch job: its batches run `concurrency` at a time, each fetched then written, with one
 * progress event per settled batch. Progress is a state: counts on every event, the failed IDs
 * only on the final one (a slow subscriber must not receive a growing list again and again).
 */
import { randomUUID } from 'node:crypto';
import { type CacheGateError, isCacheGateError, UpstreamFailedError } from '../errors.js';
import type { PlannedBatch } from './batch-plan.js';
import { type BatchSpan, startBatchSpan } from './batch-trace.js';
import type { FetchRequest } from './coordinator.js';
import { type FetchLocks, type Lease, noFetchLocks } from './fetch-locks.js';
import { isolateFailure } from './isolate.js';
import type { FetchProgress, JobStatus } from './job-types.js';
import type { Jobs } from './jobs.js';
import { type FetchedBatch, fetchedBatch } from './normalize-rows.js';
import { claimBatch, releaseBatch, takeOver } from './replica-batch.js';
import { TimeoutError, withRetry } from './retry.js';
import type { Flight, InFlight } from './single-flight.js';

export interface ClaimedBatch {
  batch: PlannedBatch;
  flight: Flight;
}

/** The rest of a large request's batches, a window at a time (see `MissingWindows`). */
export interface BatchFeed {
  /** The next window's batches (possibly none), or undefined after the last. */
  more(): Promise<ClaimedBatch[] | undefined>;
  /** Batches planned for every window, and the IDs they hold: the job's first counts. */
  plannedBatches: number;
  plannedIds: number;
}

export class JobRun {
  readonly id: string;
  readonly first: FetchProgress;
  private readonly started = Date.now();
  readonly failures = new Map<string, CacheGateError>();
  private readonly failedIds: string[] = [];
  /**
   * Batches planned and not yet settled: their claims are released if the run ends early. A batch
   * leaves `batches` when a worker takes it and this set when it settles, so a long job does not
   * keep the ID arrays of every batch it fetched (~24 MB at 3,000,000 IDs).
   */
  private readonly unsettled = new Set<ClaimedBatch>();
  private readonly spans = new Map<ClaimedBatch, { span: BatchSpan; attempts: number; error?: unknown }>();
  /** Batches waiting for IDs another replica held (replica-batch.ts); settled apart. */
  private readonly handovers: Promise<void>[] = [];
  private batchesDone = 0;
  private rowsFetched = 0;
  private notFoundCount: number;
  private readonly totalIds: number;
  private ownIds: number;
  /** Batches of the whole job: planned ones until the feed has given its last window. */
  private batchesTotal: number;
  /** The job's batches in order; a worker empties the slot of the batch it takes. */
  private readonly batches: Array<ClaimedBatch | undefined>;
  /** IDs in the batches planned so far. */
  private idsPlanned: number;
  private refilling: Promise<void> | undefined;
  private fed: boolean;
  private feedError: unknown;

  constructor(
    private readonly req: FetchRequest,
    batches: readonly ClaimedBatch[],
    private readonly jobs: Jobs,
    private readonly inFlight: InFlight,
    private readonly locks: FetchLocks = noFetchLocks,
    private readonly feed?: BatchFeed,
  ) {
    this.id = req.jobId ?? randomUUID();
    this.batches = [...batches];
    for (const b of batches) this.unsettled.add(b);
    this.idsPlanned = batches.reduce((n, b) => n + b.batch.ids.length, 0);
    this.fed = feed === undefined;
    this.ownIds = feed?.plannedIds ?? this.idsPlanned;
    this.batchesTotal = feed?.plannedBatches ?? batches.length;
    this.totalIds = req.known?.totalIds ?? this.ownIds;
    this.notFoundCount = req.known?.notFound ?? 0;
    this.first = this.emit(
      'RUNNING',
      `fetching ${this.ownIds} ids of ${req.table} in ${this.batchesTotal} batches`,
    );
  }

  /**
   * Waits for the feed's next window (one call at a time, shared by the workers); `fed` is set
   * once there is nothing more. A window that cannot be read (its cache lookup failed) ends the feed:
   * the job ends FAILED or PARTIAL with that error, and what it fetched so far stays cached.
   */
  private refill(): Promise<void> {
    if (this.fed || !this.feed) return Promise.resolve();
    this.refilling ??= this.feed
      .more()
      .then(
        (more) => {
          if (more === undefined) this.fed = true;
          else
            for (const b of more) {
              this.batches.push(b);
              this.unsettled.add(b);
              this.idsPlanned += b.batch.ids.length;
            }
        },
        (e: unknown) => {
          this.fed = true;
          this.feedError = e;
        },
      )
      .then(() => {
        this.refilling = undefined;
        if (this.fed) {
          this.batchesTotal = this.batches.length;
          this.ownIds = this.idsPlanned;
        }
      });
    return this.refilling;
  }

  /** Never rejects; every claim of the job is released by the time it settles. */
  async run(): Promise<Map<string, CacheGateError>> {
    let next = 0;
    const worker = async (): Promise<void> => {
      // Streaming: batch k+1 is fetched while batch k is written, but a worker never has more
      // than one write pending, so a full write buffer slows the fetching down (backpressure).
      let writing: Promise<void> = Promise.resolve();
      for (;;) {
        if (next >= this.batches.length) {
          if (this.fed) break;
          await this.refill();
          continue;
        }
        const index = next++;
        // The next window is looked up and claimed while this batch is fetched.
        if (next >= this.batches.length) void this.refill();
        const claimed = this.batches[index]!;
        this.batches[index] = undefined;
        // IDs another replica is fetching are left out of `own` and waited for (replica-batch.ts).
        const { own, lease } = await claimBatch(this.locks, this.req.table, claimed.batch, this.req.replica);
        if (own.ids.length === 0) {
          await writing;
          writing = this.write(claimed, [], lease, index + 1);
          continue;
        }
        const parts = await this.fetchIsolated(claimed, own, index + 1);
        await writing;
        writing = this.write(claimed, parts, lease, index + 1);
      }
      await writing;
    };
    const concurrency = Math.max(1, Math.min(this.req.policy.concurrency, this.batchesTotal));
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
      await Promise.all(this.handovers);
    } finally {
      // Only reached with claims left if something unforeseen threw: waiters must not hang.
      for (const b of this.unsettled) this.inFlight.release(this.req.table, b.batch.ids, b.flight);
    }
    const failed = this.failedIds.length;
    const status: JobStatus =
      this.feedError !== undefined
        ? this.rowsFetched === 0 && this.notFoundCount === 0
          ? 'FAILED'
          : 'PARTIAL'
        : failed === 0
          ? 'SUCCEEDED'
          : failed === this.ownIds
            ? 'FAILED'
            : 'PARTIAL';
    this.emit(status, this.summary(), true);
    return this.failures;
  }

  private summary(): string {
    const parts: string[] = [];
    if (this.feedError !== undefined) {
      const reason = this.feedError instanceof Error ? this.feedError.message : String(this.feedError);
      parts.push(`stopped after ${this.batchesDone} batches: the cache could not be read (${reason})`);
    }
    if (this.failedIds.length > 0) {
      const firstError = this.failures.values().next().value;
      parts.push(`${this.failedIds.length} ids failed: ${firstError?.message ?? ''}`);
    }
    if (this.notFoundCount > 0) {
      parts.push(
        `${this.notFoundCount} of ${this.totalIds} ids do not exist upstream (not found, remembered for the not-found TTL)`,
      );
    }
    return parts.length === 0 ? 'done' : parts.join('; ');
  }

  /** Never rejects: a refused write fails its own batch (or part of a split batch) only. */
  private async write(
    claimed: ClaimedBatch,
    parts: ReadonlyArray<{ batch: PlannedBatch; fetched: FetchedBatch }>,
    lease: Lease,
    number: number,
  ): Promise<void> {
    for (const { batch, fetched } of parts) await this.writeFetched(claimed, batch, fetched);
    // In the background: this process answers from its write buffer at once; other replicas
    // need the rows on disk, so the claims go once the flush that takes them is committed.
    void releaseBatch(lease, this.req.replica, parts.length > 0);
    if (lease.held.length === 0 || this.req.replica === undefined) {
      this.settle(claimed);
      return;
    }
    // Not awaited by the worker: its next batch's claims must not wait for another replica.
    const store = this.req.replica;
    const columns = claimed.batch.columns;
    const handover = takeOver({
      locks: this.locks,
      table: this.req.table,
      held: lease.held,
      columns,
      store,
      signal: this.req.signal,
      fetchAndWrite: async (part) => {
        for (const f of await this.fetchIsolated(claimed, part, number))
          await this.writeFetched(claimed, f.batch, f.fetched);
      },
    })
      .catch((e: unknown) => this.fail(claimed, { ids: [...lease.held], columns }, e))
      .finally(() => this.settle(claimed));
    this.handovers.push(handover);
  }

  /**
   * Fetches a batch; when it fails, splits it to isolate the IDs that fail it (isolate.ts), which
   * fail alone: one bad ID must not fail the IDs batched with it. Returns what was fetched.
   */
  private async fetchIsolated(
    claimed: ClaimedBatch,
    batch: PlannedBatch,
    number: number,
  ): Promise<Array<{ batch: PlannedBatch; fetched: FetchedBatch }>> {
    try {
      // After close(), the remaining batches fail at once instead of calling the upstream.
      this.req.signal.throwIfAborted();
      return [{ batch, fetched: await this.fetchBatch(claimed, batch, number) }];
    } catch (e) {
      const isolated = await isolateFailure(
        batch,
        e,
        (part) => this.fetchBatch(claimed, part, number, 0),
        this.req.signal,
      );
      for (const f of isolated.failed) this.fail(claimed, f.batch, f.error);
      return isolated.fetched.map((f) => ({ batch: f.batch, fetched: f.result }));
    }
  }

  private async writeFetched(
    claimed: ClaimedBatch,
    batch: PlannedBatch,
    fetched: FetchedBatch,
  ): Promise<void> {
    try {
      await this.req.write(fetched);
      this.rowsFetched += fetched.rows.length;
      this.notFoundCount += fetched.notFound.length;
    } catch (e) {
      this.fail(claimed, batch, e);
    }
  }

  /** The batch is in the store (or failed): its waiters re-read now, not at the end of the job. */
  private settle(claimed: ClaimedBatch): void {
    this.inFlight.release(this.req.table, claimed.batch.ids, claimed.flight);
    // Ended here, not when the upstream answered: a request may join the flight until now.
    const traced = this.spans.get(claimed);
    traced?.span.end(traced.error, claimed.flight.joiners, traced.attempts);
    this.spans.delete(claimed);
    this.unsettled.delete(claimed);
    this.batchesDone++;
    if (this.batchesDone < this.batchesTotal)
      this.emit('RUNNING', `${this.batchesDone} of ${this.batchesTotal} batches done`);
  }

  /** Fails `batch`: the claimed batch itself, or a part of it that isolation could not fetch. */
  private fail(claimed: ClaimedBatch, batch: PlannedBatch, e: unknown): void {
    const traced = this.spans.get(claimed);
    if (traced) traced.error = e;
    const err = asUpstreamError(e, this.req.table, batch.ids.length);
    // A loop, not push(...ids): spreading a large array into a call overflows the stack.
    for (const id of batch.ids) {
      this.failures.set(id, err);
      this.failedIds.push(id);
    }
  }

  /**
   * One upstream call with its retries (`retries` overrides the policy's: halves of a failed
   * batch get one attempt each), traced as the claimed batch's span and reported to metrics.
   */
  private async fetchBatch(
    claimed: ClaimedBatch,
    batch: PlannedBatch,
    number: number,
    retries?: number,
  ): Promise<FetchedBatch> {
    const { table, fetcher } = this.req;
    const policy = retries === undefined ? this.req.policy : { ...this.req.policy, retries };
    let traced = this.spans.get(claimed);
    if (!traced) {
      traced = { span: startBatchSpan(table, claimed.batch, number), attempts: 0 };
      this.spans.set(claimed, traced);
    }
    const span = traced;
    const started = performance.now();
    const report = (ok: boolean): void => {
      const ms = performance.now() - started;
      try {
        this.req.onBatch?.({ table, ids: batch.ids.length, attempts: span.attempts, ms, ok });
      } catch {
        // Metrics must not fail the batch.
      }
    };
    try {
      const result = await withRetry(
        (signal, attempt) => {
          span.attempts = attempt;
          this.req.onAttempt?.();
          return span.span.inside(() =>
            fetcher(batch.ids, batch.columns, { table, signal, batch: number, attempt }),
          );
        },
        policy,
        this.req.signal,
      );
      const fetched = fetchedBatch(result, batch, table);
      report(true);
      return fetched;
    } catch (e) {
      report(false);
      throw e;
    }
  }

  private emit(status: JobStatus, message: string, final = false): FetchProgress {
    const elapsedMs = Date.now() - this.started;
    const total = this.batchesTotal;
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
      failedCount: this.failedIds.length,
      notFoundCount: this.notFoundCount,
      // The list goes out once, with the final state; `job(id)` keeps it.
      failedIds: final ? this.failedIds : [],
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

function asUpstreamError(e: unknown, table: string, count: number): CacheGateError {
  if (isCacheGateError(e)) return e;
  const reason = e instanceof TimeoutError ? e.message : e instanceof Error ? e.message : String(e);
  return new UpstreamFailedError(
    `Fetching ${count} ids of table "${table}" failed: ${reason}. Nothing of this batch was cached; retry later or warm these ids.`,
    { table },
    { cause: e },
  );
}
