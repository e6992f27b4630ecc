/** `TableStats` and the `cacheStats(table)` query. */
import type { TableStats } from '../engine/types.js';
import { requireTable } from '../loaders/index.js';
import type { Builder } from './builder.js';

export function addTableStatsType(builder: Builder): void {
  const Stats = builder.objectRef<TableStats>('TableStats').implement({
    description: 'What the cache holds for one table and how it has been used since the server started.',
    fields: (t) => ({
      table: t.exposeString('table', { description: 'The configured table.' }),
      rows: t.exposeInt('rows', { description: 'Rows cached.' }),
      parts: t.exposeInt('parts', { description: 'Parquet part files.' }),
      // Float: a cache folder easily outgrows GraphQL's 32-bit Int.
      bytes: t.exposeFloat('bytes', { description: 'Bytes of the part files on disk.' }),
      hits: t.exposeInt('hits', { description: 'IDs a lookup found complete in the cache.' }),
      misses: t.exposeInt('misses', {
        description: 'IDs a lookup had to fetch (missing, incomplete or stale).',
      }),
      fetches: t.exposeInt('fetches', { description: 'Upstream fetch calls (batches attempted).' }),
      lookups: t.exposeInt('lookups', { description: 'Cache lookups served.' }),
    }),
  });

  builder.queryField('cacheStats', (t) =>
    t.field({
      type: [Stats],
      // Nullable so a reader's FORBIDDEN here leaves the request's other fields served.
      nullable: true,
      description: 'Statistics of one table, or of every table (operator role).',
      args: { table: t.arg.string({ description: 'One configured table; every table when absent.' }) },
      resolve: async (_root, args, ctx) => {
        if (args.table != null) requireTable(ctx.cache, args.table);
        // Root fields run side by side: without this wait, `{ movies(...) cacheStats }` read the
        // counters before its own lookup had counted, so they showed the previous query's.
        await ctx.loaders.idle();
        return ctx.cache.stats(args.table ?? undefined);
      },
    }),
  );
}
