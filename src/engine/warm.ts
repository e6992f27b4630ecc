/**
 * A warm job: announced at once (its first event), then the cache is checked and what is
 * missing is fetched in the background by the coordinator. IDs the upstream does not have are
 * counted as not found (SUCCEEDED with `notFoundCount`); ids only fetched by concurrent
 * requests are reported by what those achieved.
 */
import { randomUUID } from 'node:crypto';
import type { StoreLookup } from '../cache/lookup.js';
import type { FetchOutcome, FetchRequest } from '../fetch/coordinator.js';
import type { FetchProgress, JobStatus } from '../fetch/job-types.js';
import type { Jobs } from '../fetch/jobs.js';
import type { Survey } from './windows.js';

export interface WarmDeps {
  jobs: Jobs;
  table: string;
  ids: readonly string[];
  /** What the cache lacks (see windows.ts: a large warm is fetched a window at a time). */
  survey: () => Promise<Survey>;
  /** One lookup of every ID: which are still missing after others fetched them, or failed. */
  lookup: () => Promise<StoreLookup>;
  /** Absent when the table has no source. */
  canFetch: boolean;
  fetchMissing: (
    missing: FetchRequest['missing'],
    jobId: string,
    known: { totalIds: number; notFound: number },
  ) => { first?: FetchProgress; done: Promise<FetchOutcome> };
}

export function startWarm(d: WarmDeps): { first: FetchProgress; work: Promise<void> } {
  const jobId = randomUUID();
  const started = Date.now();
  const first: FetchProgress = {
    jobId,
    table: d.table,
    status: 'RUNNING',
    totalIds: d.ids.length,
    batchesTotal: 0,
    batchesDone: 0,
    rowsFetched: 0,
    failedCount: 0,
    notFoundCount: 0,
    failedIds: [],
    elapsedMs: 0,
    etaMs: null,
    message: `checking the cache for ${d.ids.length} ids`,
  };
  d.jobs.publish(first);
  const finish = (
    status: JobStatus,
    message: string,
    counts: { notFound?: number; failedIds?: readonly string[] } = {},
  ): void => {
    const failedIds = [...(counts.failedIds ?? [])];
    d.jobs.publish({
      ...first,
      status,
      message,
      failedIds,
      failedCount: failedIds.length,
      notFoundCount: counts.notFound ?? 0,
      elapsedMs: Date.now() - started,
      etaMs: 0,
    });
  };
  const notFoundNote = (n: number): string =>
    n === 0 ? '' : `; ${n} ids do not exist upstream (not found, remembered for the not-found TTL)`;
  const work = (async () => {
    const res = await d.survey();
    const notFound = res.notFound;
    if (res.missing === 0) {
      return finish('SUCCEEDED', `all ${d.ids.length} ids already cached${notFoundNote(notFound)}`, {
        notFound,
      });
    }
    if (!d.canFetch) {
      return finish('FAILED', `table "${d.table}" has no source configured`, {
        notFound,
        failedIds: [...(res.found ?? (await d.lookup())).missing.keys()],
      });
    }
    const { first: own, done } = d.fetchMissing(res.request, jobId, { totalIds: d.ids.length, notFound });
    await done;
    // Ids fetched by concurrent requests only: this job waited; report what they achieved.
    if (!own) {
      const after = await d.lookup();
      const failedIds = [...after.missing.keys()];
      const counts = { notFound: after.notFound.length, failedIds };
      if (failedIds.length === 0)
        finish('SUCCEEDED', `fetched by concurrent requests${notFoundNote(counts.notFound)}`, counts);
      else finish('FAILED', `${failedIds.length} ids could not be fetched by concurrent requests`, counts);
    }
  })().catch((e: unknown) =>
    finish('FAILED', e instanceof Error ? e.message : String(e), { failedIds: d.ids }),
  );
  return { first, work };
}
