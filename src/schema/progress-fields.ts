/** The fields `FetchJob` and `FetchProgress` share: both show one state of a fetch job. */
import type { FieldMap } from '@pothos/core';
import type { FetchProgress } from '../engine-types.js';
import type { Types } from './builder.js';
import type { JobStatusRef } from './job-status-enum.js';

export function progressFields(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, FetchProgress>,
  JobStatus: JobStatusRef,
): FieldMap {
  return {
    table: t.exposeString('table'),
    status: t.field({ type: JobStatus, resolve: (job) => job.status }),
    totalIds: t.exposeInt('totalIds'),
    batchesTotal: t.exposeInt('batchesTotal'),
    batchesDone: t.exposeInt('batchesDone'),
    rowsFetched: t.exposeInt('rowsFetched'),
    failedIds: t.exposeIDList('failedIds'),
    // Float: elapsed times are fractional milliseconds.
    elapsedMs: t.exposeFloat('elapsedMs'),
    etaMs: t.exposeFloat('etaMs', { nullable: true, description: 'Null until one batch has finished.' }),
    message: t.exposeString('message'),
  };
}
