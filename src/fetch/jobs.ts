/**
 * Fetch jobs and their progress events; the server publishes these to subscribers. The registry
 * keeps the latest state of every running job, and of finished jobs for late `job(id)` queries
 * and subscriptions: at most `keepFinished` of them, none older than `keepFinishedMs`, and no
 * more than `keepFailedIds` failed IDs across them (a finished job holds its full failed list),
 * the oldest dropped first. The newest finished job is kept whatever its size, until it expires.
 */
import { EventEmitter } from 'node:events';
import type { FetchProgress, JobRegistry, ProgressListener } from './job-types.js';

export interface JobsOptions {
  /** Finished jobs kept; default 1,000. */
  keepFinished?: number;
  /** How long a finished job stays; default one hour. */
  keepFinishedMs?: number;
  /** Failed IDs kept across finished jobs; default 1,000,000 (tens of MB). */
  keepFailedIds?: number;
  now?: () => number;
}

export class Jobs implements JobRegistry {
  private readonly running = new Map<string, FetchProgress>();
  /** In the order they finished: the oldest is dropped first. */
  private readonly finished = new Map<string, { event: FetchProgress; at: number }>();
  private failedIdsKept = 0;
  private readonly emitter = new EventEmitter();
  private readonly keepFinished: number;
  private readonly keepFinishedMs: number;
  private readonly keepFailedIds: number;
  private readonly now: () => number;
  private readonly interrupted = new Set<string>();

  constructor(options: JobsOptions = {}) {
    // Every open subscription is a listener; the default cap of 10 would warn spuriously.
    this.emitter.setMaxListeners(0);
    this.keepFinished = options.keepFinished ?? 1_000;
    this.keepFinishedMs = options.keepFinishedMs ?? 3_600_000;
    this.keepFailedIds = options.keepFailedIds ?? 1_000_000;
    this.now = options.now ?? Date.now;
  }

  get(jobId: string): FetchProgress | undefined {
    this.prune();
    return this.running.get(jobId) ?? this.finished.get(jobId)?.event;
  }

  list(): FetchProgress[] {
    this.prune();
    // Maps keep insertion order: the last started (or finished) is the newest.
    const running = [...this.running.values()].reverse();
    const finished = [...this.finished.values()].map((f) => f.event).reverse();
    return [...running, ...finished];
  }

  /** Jobs remembered now (running and finished). */
  get size(): number {
    return this.running.size + this.finished.size;
  }

  subscribe(listener: ProgressListener): () => void {
    this.emitter.on('progress', listener);
    return () => this.emitter.off('progress', listener);
  }

  /**
   * Ends every running job with a FAILED event saying why (shutdown), so subscribers get a final
   * event while their sockets are still open; later events of those jobs are dropped.
   */
  interruptAll(message: string): number {
    const running = [...this.running.values()];
    for (const e of running) {
      this.publish({ ...e, status: 'FAILED', etaMs: 0, message });
      this.interrupted.add(e.jobId);
    }
    return running.length;
  }

  publish(event: FetchProgress): void {
    // Progress is a state: a job ended by interruptAll stays ended, whatever its batches report.
    if (this.interrupted.has(event.jobId)) return;
    if (event.status === 'RUNNING') {
      // A late RUNNING event of a job already finished must not bring it back to life.
      if (!this.finished.has(event.jobId)) this.running.set(event.jobId, event);
    } else {
      this.running.delete(event.jobId);
      this.forget(event.jobId);
      this.finished.set(event.jobId, { event, at: this.now() });
      this.failedIdsKept += event.failedIds.length;
      this.prune();
    }
    // One throwing subscriber must not stop the others, nor the job that published.
    for (const listener of this.emitter.listeners('progress') as ProgressListener[]) {
      try {
        listener(event);
      } catch {
        // ignored on purpose: see above
      }
    }
  }

  private prune(): void {
    const oldest = this.now() - this.keepFinishedMs;
    for (const [id, { at }] of this.finished) {
      const tooMany =
        this.finished.size > 1 &&
        (this.finished.size > this.keepFinished || this.failedIdsKept > this.keepFailedIds);
      if (at >= oldest && !tooMany) break;
      this.forget(id);
    }
  }

  private forget(jobId: string): void {
    const kept = this.finished.get(jobId);
    if (!kept) return;
    this.finished.delete(jobId);
    this.failedIdsKept -= kept.event.failedIds.length;
  }
}
