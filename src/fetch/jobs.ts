/** Fetch jobs and their progress events; the server publishes these to subscribers. */
import { EventEmitter } from 'node:events';
import type { FetchProgress, JobRegistry, ProgressListener } from '../engine-types.js';

/** Finished jobs kept for late `job(id)` queries and subscriptions. */
const KEEP_FINISHED = 1000;

export class Jobs implements JobRegistry {
  private readonly latest = new Map<string, FetchProgress>();
  private readonly emitter = new EventEmitter();
  private readonly interrupted = new Set<string>();

  constructor() {
    // Every open subscription is a listener; the default cap of 10 would warn spuriously.
    this.emitter.setMaxListeners(0);
  }

  get(jobId: string): FetchProgress | undefined {
    return this.latest.get(jobId);
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
    const running = [...this.latest.values()].filter((e) => e.status === 'RUNNING');
    for (const e of running) {
      this.publish({ ...e, status: 'FAILED', etaMs: 0, message });
      this.interrupted.add(e.jobId);
    }
    return running.length;
  }

  publish(event: FetchProgress): void {
    // Progress is a state: a job ended by interruptAll stays ended, whatever its batches report.
    if (this.interrupted.has(event.jobId)) return;
    this.latest.delete(event.jobId);
    this.latest.set(event.jobId, event);
    if (this.latest.size > KEEP_FINISHED) {
      for (const [id, e] of this.latest) {
        if (this.latest.size <= KEEP_FINISHED) break;
        if (e.status !== 'RUNNING') this.latest.delete(id);
      }
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
}
