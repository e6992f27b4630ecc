/**
 * What the jobs page shows, without the DOM: the latest state of each job from a mix of a
 * snapshot (`jobs` query) and live `fetchProgress` events, and how its numbers read.
 */

import type { FetchProgress } from '../../src/fetch/job-types.js';

export type { JobStatus } from '../../src/fetch/job-types.js';

/**
 * One state of a job, as both `fetchJobs` and `fetchProgress` return it: the engine's
 * FetchProgress without the failed-ID list, which the page does not ask for.
 */
export type JobView = Omit<FetchProgress, 'failedIds'>;

/** Jobs kept on the page; the oldest finished ones go first beyond it. */
export const MAX_JOBS = 200;

/**
 * True when `next` may replace `last`. Progress is a state and only moves forward, but a
 * snapshot and the live feed can arrive in either order: a finished job stays finished, and a
 * running one never goes back to fewer batches or rows.
 */
export function isNewer(next: JobView, last: JobView | undefined): boolean {
  if (last === undefined) return true;
  if (last.status !== 'RUNNING') return false;
  if (next.status !== 'RUNNING') return true;
  return next.batchesDone >= last.batchesDone && next.rowsFetched >= last.rowsFetched;
}

export class JobList {
  private readonly jobs = new Map<string, JobView>();
  /** Order first seen: the newest is shown on top. */
  private readonly firstSeen = new Map<string, number>();
  private seen = 0;

  /** Takes `job` if it is newer than what is known; true when something changed. */
  apply(job: JobView): boolean {
    if (!isNewer(job, this.jobs.get(job.jobId))) return false;
    this.jobs.set(job.jobId, job);
    if (!this.firstSeen.has(job.jobId)) this.firstSeen.set(job.jobId, this.seen++);
    this.trim();
    return true;
  }

  /** A snapshot lists the newest first; they are applied oldest first so the order holds. */
  applySnapshot(jobs: readonly JobView[]): void {
    for (const job of [...jobs].reverse()) this.apply(job);
  }

  /** Running jobs first, then the rest; newest first within each. */
  list(): JobView[] {
    const order = (j: JobView) => this.firstSeen.get(j.jobId) ?? 0;
    return [...this.jobs.values()].sort(
      (a, b) => Number(b.status === 'RUNNING') - Number(a.status === 'RUNNING') || order(b) - order(a),
    );
  }

  private trim(): void {
    if (this.jobs.size <= MAX_JOBS) return;
    const oldestFinished = [...this.jobs.values()]
      .filter((j) => j.status !== 'RUNNING')
      .sort((a, b) => (this.firstSeen.get(a.jobId) ?? 0) - (this.firstSeen.get(b.jobId) ?? 0));
    for (const job of oldestFinished.slice(0, this.jobs.size - MAX_JOBS)) {
      this.jobs.delete(job.jobId);
      this.firstSeen.delete(job.jobId);
    }
  }
}

/** Share of the batches done, 0..1; a finished job is full whatever its counts. */
export function fractionDone(job: JobView): number {
  if (job.status !== 'RUNNING') return 1;
  if (job.batchesTotal <= 0) return 0;
  return Math.min(1, job.batchesDone / job.batchesTotal);
}

/** Rows per second since the job started; null before anything was fetched. */
export function rowsPerSecond(job: JobView): number | null {
  if (job.elapsedMs <= 0 || job.rowsFetched <= 0) return null;
  return (job.rowsFetched * 1000) / job.elapsedMs;
}

export function formatRate(rate: number | null): string {
  if (rate === null) return '–';
  if (rate >= 100) return `${Math.round(rate).toLocaleString('en-US')} rows/s`;
  return `${rate.toFixed(1)} rows/s`;
}

/** `850 ms`, `12 s`, `3 min 05 s`, `2 h 04 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The ETA column: only while running, and only once the server has an estimate. */
export function formatEta(job: JobView): string {
  return job.status === 'RUNNING' ? formatDuration(job.etaMs) : '–';
}

/**
 * IDs pasted or read from a file: one per line, or separated by commas, spaces or tabs; a
 * header line `id` and duplicates are dropped, the first occurrence's order kept.
 */
export function parseIds(text: string): string[] {
  const tokens = text
    .split(/[\s,;]+/)
    .map((token) => token.replace(/^"(.*)"$/, '$1').trim())
    .filter((id) => id !== '');
  if (tokens[0]?.toLowerCase() === 'id') tokens.shift();
  return [...new Set(tokens)];
}
