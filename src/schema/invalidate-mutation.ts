import { requireTable } from '../loaders/index.js';
import type { Builder } from './builder.js';

export function addInvalidateMutation(builder: Builder): void {
  builder.mutationField('invalidate', (t) =>
    t.int({
      description:
        'Drops rows `ids` (or the whole table) from the cache; returns how many rows were dropped.',
      args: {
        table: t.arg.string({ required: true, description: 'A configured table.' }),
        ids: t.arg.idList({ description: 'Rows to drop; the whole table when absent.' }),
      },
      resolve: async (_root, args, ctx) => {
        requireTable(ctx.cache, args.table);
        const dropped = await ctx.cache.invalidate(args.table, args.ids ?? undefined);
        // Later fields of this same request must not see the rows it loaded before.
        ctx.loaders.clear(args.table);
        return dropped;
      },
    }),
  );
}
