/** The fields `FetchJob` and `FetchProgress` share: both show one state of a fetch job. */
import type { FieldMap } from '@pothos/core';
import type { FetchProgress } from '../engine/types.js';
import type { Types } from './builder.js';
import type { JobStatusRef } from './job-status-enum.js';

export function progressFields(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, FetchProgress>,
  JobStatus: JobStatusRef,
): FieldMap {
  return {
    table: t.exposeString('table', { description: 'The configured table the job fetches rows of.' }),
    status: t.field({ type: JobStatus, description: 'Where the job stands.', resolve: (job) => job.status }),
    totalIds: t.exposeInt('totalIds', { description: 'IDs the job fetches (those missing from the cache).' }),
    batchesTotal: t.exposeInt('batchesTotal', { description: 'Upstream batches planned; 0 until planned.' }),
    batchesDone: t.exposeInt('batchesDone', { description: 'Batches finished, failed ones included.' }),
    rowsFetched: t.exposeInt('rowsFetched', { description: 'Rows the upstream returned so far.' }),
    failedCount: t.exposeInt('failedCount', { description: 'IDs of failed batches so far.' }),
    notFoundCount: t.exposeInt('notFoundCount', {
      description:
        'IDs the upstream does not have: answered DATA_NOT_FOUND, not counted as failures (the job still SUCCEEDS).',
    }),
    failedIds: t.exposeIDList('failedIds', {
      description:
        'Empty while RUNNING; the full list on the final event, and from `job(id)` while the job is remembered.',
    }),
    // Float: elapsed times are fractional milliseconds.
    elapsedMs: t.exposeFloat('elapsedMs', { description: 'Milliseconds since the job started.' }),
    etaMs: t.exposeFloat('etaMs', { nullable: true, description: 'Null until one batch has finished.' }),
    message: t.exposeString('message', {
      description: 'What is happening, or why the job failed, in words.',
    }),
  };
}
