/** `Row` and the generic `rows(table, ids, columns)` query that returns it. */
import { parsePath } from '../json/json-path.js';
import type { Builder } from './builder.js';
import { readCell } from './cells.js';
import { settleList } from './settle-list.js';

interface RowShape {
  id: string;
  values: Record<string, unknown>;
}

export function addRowType(builder: Builder): void {
  const Row = builder.objectRef<RowShape>('Row').implement({
    description: 'One row of any table: `values` maps each requested column or dot path to its value.',
    fields: (t) => ({
      id: t.exposeID('id', { description: 'The row ID, as requested.' }),
      values: t.field({
        type: 'JSON',
        description: 'Each requested column or dot path mapped to its value.',
        resolve: (row) => row.values,
      }),
    }),
  });

  builder.queryField('rows', (t) =>
    t.field({
      type: [Row],
      nullable: { list: false, items: true },
      description:
        'Rows of any configured table, in the order of `ids`; an unknown ID gives null and DATA_NOT_FOUND.',
      args: {
        table: t.arg.string({ required: true, description: 'A configured table.' }),
        ids: t.arg.idList({ required: true, description: 'Row IDs; the answer keeps their order.' }),
        columns: t.arg.stringList({
          required: true,
          description: 'Column names, or dot paths into JSON columns (`details.cast.0.name`).',
        }),
      },
      resolve: (_root, args, ctx) => {
        let columns: string[];
        let loader: ReturnType<typeof ctx.loaders.get>;
        try {
          columns = [...new Set(args.columns.map((c) => parsePath(c).raw))];
          loader = ctx.loaders.get(args.table);
        } catch (error) {
          // An unknown table or a bad path fails this field's entries, not the sibling root
          // fields (thrown for the non-null field, it would null `data`). With no entries to
          // carry it, it is thrown.
          if (args.ids.length === 0) throw error;
          return settleList(args.ids.map(() => Promise.reject(error)));
        }
        const key = [...columns].sort();
        return settleList(
          args.ids.map(async (id) => {
            const row = await loader.load({ id, columns: key });
            const values: Record<string, unknown> = {};
            for (const column of columns) values[column] = await readCell(ctx, row, column);
            return { id, values };
          }),
        );
      },
    }),
  );
}
