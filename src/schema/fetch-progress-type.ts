/** `FetchProgress` and the `fetchProgress(jobId, table)` subscription. */
import type { FetchProgress } from '../engine/types.js';
import { requireTable } from '../loaders/index.js';
import type { Builder } from './builder.js';
import type { JobStatusRef } from './job-status-enum.js';
import { progressFields } from './progress-fields.js';

export function addFetchProgressType(builder: Builder, JobStatus: JobStatusRef): void {
  const Progress = builder.objectRef<FetchProgress>('FetchProgress').implement({
    description: 'One progress event of a fetch job.',
    fields: (t) => ({
      jobId: t.exposeID('jobId', { description: 'The job this event belongs to.' }),
      ...progressFields(t, JobStatus),
    }),
  });

  builder.subscriptionField('fetchProgress', (t) =>
    t.field({
      type: Progress,
      description:
        'Every event of job `jobId` (its current state first; ends when it ends), or of every job of `table`, or of all jobs. Queries that miss the cache start jobs too.',
      args: {
        jobId: t.arg.id({ description: 'Only this job (its current state first); ends when the job ends.' }),
        table: t.arg.string({ description: 'Every job of this configured table (operator role).' }),
      },
      subscribe: (_root, args, ctx) => {
        if (args.table != null) requireTable(ctx.cache, args.table);
        return ctx.progress.events({ jobId: args.jobId ?? undefined, table: args.table ?? undefined });
      },
      resolve: (event) => event,
    }),
  );
}
