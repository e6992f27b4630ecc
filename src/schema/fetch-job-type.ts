/** `FetchJob`, the `job(id)` query and the `warm` mutation that starts one. */
import type { FetchProgress } from '../engine/types.js';
import { requireTable } from '../loaders/index.js';
import type { Builder } from './builder.js';
import type { JobStatusRef } from './job-status-enum.js';
import { progressFields } from './progress-fields.js';

export function addFetchJobType(builder: Builder, JobStatus: JobStatusRef): void {
  const FetchJob = builder.objectRef<FetchProgress>('FetchJob').implement({
    description: 'A background fetch of missing rows from the upstream source, in batches.',
    fields: (t) => ({
      id: t.exposeID('jobId'),
      ...progressFields(t, JobStatus),
    }),
  });

  builder.queryField('job', (t) =>
    t.field({
      type: FetchJob,
      nullable: true,
      description: 'A fetch job of this server by ID; null when unknown (or forgotten).',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, args, ctx) => ctx.cache.jobs.get(args.id) ?? null,
    }),
  );

  builder.mutationField('warm', (t) =>
    t.field({
      type: FetchJob,
      description:
        'Starts fetching `ids` (all configured columns by default) in the background and returns at once; follow it with `fetchProgress(jobId:)`.',
      args: {
        table: t.arg.string({ required: true }),
        ids: t.arg.idList({ required: true }),
        columns: t.arg.stringList(),
      },
      resolve: (_root, args, ctx) => {
        requireTable(ctx.cache, args.table);
        const columns = args.columns ?? undefined;
        return (ctx.warmGate ?? ctx.cache).warm(args.table, args.ids, columns);
      },
    }),
  );
}
