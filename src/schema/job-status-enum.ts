import type { JobStatus } from '../engine/types.js';
import type { Builder } from './builder.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED'] as const satisfies readonly JobStatus[];

export function addJobStatusEnum(builder: Builder) {
  return builder.enumType('JobStatus', {
    description:
      'State of a fetch job: PARTIAL means some batches failed, FAILED that all did; IDs the upstream does not have are counted in `notFoundCount` and leave a job SUCCEEDED.',
    values: STATUSES,
  });
}

export type JobStatusRef = ReturnType<typeof addJobStatusEnum>;
