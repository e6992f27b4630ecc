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
      id: t.exposeID('jobId', {
        description: 'Random job ID: follow it with `fetchProgress(jobId:)` or `job(id:)`.',
      }),
      ...progressFields(t, JobStatus),
    }),
  });

  builder.queryField('job', (t) =>
    t.field({
      type: FetchJob,
      nullable: true,
      description: 'A fetch job of this server by ID; null when unknown (or forgotten).',
      args: {
        id: t.arg.id({ required: true, description: 'The ID `warm` returned, or one from `fetchProgress`.' }),
      },
      resolve: (_root, args, ctx) => ctx.cache.jobs.get(args.id) ?? null,
    }),
  );

  // Not `jobs`: a user table named `jobs` (a common name) would lose its list field.
  builder.queryField('fetchJobs', (t) =>
    t.field({
      type: [FetchJob],
      description:
        'Running and recently finished fetch jobs of this server (of `table`, or of every table): running first, newest first. `failedIds` is the full list of each job; ask for `failedCount` to keep the answer small.',
      args: {
        table: t.arg.string({ description: 'Only the jobs of this configured table.' }),
        limit: t.arg.int({ description: 'At most this many jobs (default 100, at most 1000).' }),
      },
      resolve: (_root, args, ctx) => {
        if (args.table != null) requireTable(ctx.cache, args.table);
        const limit = Math.min(Math.max(args.limit ?? 100, 0), 1000);
        return ctx.cache.jobs
          .list()
          .filter((job) => args.table == null || job.table === args.table)
          .slice(0, limit);
      },
    }),
  );

  builder.mutationField('warm', (t) =>
    t.field({
      type: FetchJob,
      description:
        'Starts fetching `ids` (all configured columns by default) in the background and returns at once; follow it with `fetchProgress(jobId:)`.',
      args: {
        table: t.arg.string({ required: true, description: 'A configured table.' }),
        ids: t.arg.idList({ required: true, description: 'IDs to fetch; those already cached are skipped.' }),
        columns: t.arg.stringList({ description: 'Columns to fetch; every configured column when absent.' }),
      },
      resolve: (_root, args, ctx) => {
        requireTable(ctx.cache, args.table);
        const columns = args.columns ?? undefined;
        return (ctx.warmGate ?? ctx.cache).warm(args.table, args.ids, columns);
      },
    }),
  );
}
