import type { JobStatus } from '../engine/types.js';
import type { Builder } from './builder.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED'] as const satisfies readonly JobStatus[];

export function addJobStatusEnum(builder: Builder) {
  return builder.enumType('JobStatus', {
    description:
      'State of a fetch job: PARTIAL means some batches failed, FAILED that all did; IDs the upstream does not have are counted in `notFoundCount` and leave a job SUCCEEDED.',
    values: {
      RUNNING: { value: 'RUNNING', description: 'Batches are still being fetched.' },
      SUCCEEDED: { value: 'SUCCEEDED', description: 'Every batch was fetched (IDs not found included).' },
      PARTIAL: { value: 'PARTIAL', description: 'Some batches failed: their IDs are in `failedIds`.' },
      FAILED: {
        value: 'FAILED',
        description: 'Every batch failed, or the job was interrupted (see `message`).',
      },
    } satisfies Record<(typeof STATUSES)[number], { value: JobStatus; description: string }>,
  });
}

export type JobStatusRef = ReturnType<typeof addJobStatusEnum>;
