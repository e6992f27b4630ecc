/**
 * The object type of one configured table, and the root fields that return it:
 * `<table>(ids: [ID!]!): [N]!` and `<n>(id: ID!): N`.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { parsePath } from '../json/json-path.js';
import type { EntityRow } from '../loaders/index.js';
import type { Builder, Types } from './builder.js';
import { readCell, toNumber } from './cells.js';
import { collectColumns } from './collect-columns.js';
import type { SchemaContext } from './context.js';
import { settleList } from './settle-list.js';
import type { ColumnField, RelationField, SchemaPlan, TablePlan } from './table-plan.js';

export type EntityRef = PothosSchemaTypes.ImplementableObjectRef<Types, EntityRow>;
export type EntityRefs = ReadonlyMap<string, EntityRef>;
type FieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, EntityRow>;

export function createEntityRefs(builder: Builder, plans: SchemaPlan): EntityRefs {
  return new Map(
    [...plans.values()].map((plan) => [plan.table, builder.objectRef<EntityRow>(plan.typeName)]),
  );
}

/** Loads each of `ids` with every column the selection below `info` asks for, as one batch. */
function loadEntities(ctx: SchemaContext, info: GraphQLResolveInfo, plan: TablePlan, ids: readonly string[]) {
  const columns = collectColumns(info, plan);
  const loader = ctx.loaders.get(plan.table);
  return ids.map((id) => loader.load({ id, columns }));
}

/**
 * A resolver reading `column` as a `T`. The engine returns cells typed by the column's configured
 * type; GraphQL's scalar serialisers still check every value, so a wrong one becomes a field
 * error, never bad data.
 */
function cell<T>(column: string, map: (value: unknown) => unknown = (v) => v) {
  return (row: EntityRow, _args: object, ctx: SchemaContext) => {
    const value = readCell(ctx, row, column);
    return (value instanceof Promise ? value.then(map) : map(value)) as T | null | Promise<T | null>;
  };
}

function columnField(t: FieldBuilder, field: ColumnField) {
  const generated = `Column \`${field.column}\` (${field.type}).`;
  // The user's words first; the column and its type stay visible either way.
  const description = field.description === undefined ? generated : `${field.description}\n\n${generated}`;
  const nullable = true;
  // Each branch names its scalar literally so Pothos can type the field.
  switch (field.type) {
    case 'String':
      return t.field({ type: 'String', nullable, description, resolve: cell<string>(field.column) });
    case 'ID':
      return t.field({ type: 'ID', nullable, description, resolve: cell<string | number>(field.column) });
    case 'Int':
      return t.field({ type: 'Int', nullable, description, resolve: cell<number>(field.column, toNumber) });
    case 'Float':
      return t.field({ type: 'Float', nullable, description, resolve: cell<number>(field.column, toNumber) });
    case 'Boolean':
      return t.field({ type: 'Boolean', nullable, description, resolve: cell<boolean>(field.column) });
    case 'JSON':
      return t.field({ type: 'JSON', nullable, description, resolve: cell<unknown>(field.column) });
    case 'BigInt':
      return t.field({ type: 'BigInt', nullable, description, resolve: cell<string>(field.column) });
    case 'DateTime':
      return t.field({ type: 'DateTime', nullable, description, resolve: cell<string>(field.column) });
    case 'Date':
      return t.field({ type: 'Date', nullable, description, resolve: cell<string>(field.column) });
  }
}

function relationField(t: FieldBuilder, field: RelationField, plans: SchemaPlan, refs: EntityRefs) {
  const target = plans.get(field.table)!;
  return t.field({
    type: refs.get(field.table)!,
    nullable: true,
    description: `${field.description === undefined ? '' : `${field.description}\n\n`}The \`${target.typeName}\` whose ID is in column \`${field.column}\` (relation \`${field.relation}\`).`,
    resolve: (row, _args, ctx, info) => {
      const load = (fk: unknown) =>
        fk === null || fk === undefined ? null : loadEntities(ctx, info, target, [String(fk)])[0]!;
      // Synchronous when the key is at hand, so every parent's load lands in the same batch.
      const fk = readCell(ctx, row, field.column);
      return fk instanceof Promise ? fk.then(load) : load(fk);
    },
  });
}

/** `field(path:)`'s description, with an example on a JSON column this table really has (or none). */
function pathFieldDescription(plan: TablePlan): string {
  const json = plan.fields.find((f): f is ColumnField => f.kind === 'column' && f.type === 'JSON');
  if (json === undefined)
    return `Any column of \`${plan.table}\` by its original name (it has no JSON column to read a dot path in).`;
  return `Any column of \`${plan.table}\` by its original name, or a dot path into its JSON column \`${json.column}\` (\`${json.column}.<key>\`, \`${json.column}.<key>.0\`).`;
}

export function addEntityType(builder: Builder, plan: TablePlan, plans: SchemaPlan, refs: EntityRefs): void {
  const ref = refs.get(plan.table)!;
  ref.implement({
    description: `${plan.description === undefined ? '' : `${plan.description}\n\n`}A row of table \`${plan.table}\`, read through the cache.`,
    fields: (t) => {
      const fields: Record<string, ReturnType<FieldBuilder['field']>> = {
        id: t.field({
          type: 'ID',
          description: `The row's ID in \`${plan.table}\`.`,
          resolve: (row) => row.id,
        }),
        field: t.field({
          type: 'JSON',
          nullable: true,
          description: pathFieldDescription(plan),
          args: {
            path: t.arg.string({
              required: true,
              description: 'A column name, or a dot path into a JSON column; array items by index.',
            }),
          },
          resolve: (row, args, ctx) => readCell(ctx, row, parsePath(args.path).raw),
        }),
      };
      for (const field of plan.fields) {
        fields[field.name] =
          field.kind === 'column' ? columnField(t, field) : relationField(t, field, plans, refs);
      }
      return fields;
    },
  });

  builder.queryField(plan.listField, (t) =>
    t.field({
      type: [ref],
      nullable: { list: false, items: true },
      description: `Rows of \`${plan.table}\` in the order of \`ids\`; an unknown ID gives null and a DATA_NOT_FOUND error.`,
      args: { ids: t.arg.idList({ required: true, description: 'Row IDs; the answer keeps their order.' }) },
      resolve: (_root, args, ctx, info) => settleList(loadEntities(ctx, info, plan, args.ids)),
    }),
  );
  builder.queryField(plan.singleField, (t) =>
    t.field({
      type: ref,
      nullable: true,
      description: `One row of \`${plan.table}\`; null and a DATA_NOT_FOUND error when the ID is unknown.`,
      args: { id: t.arg.id({ required: true, description: 'The row ID.' }) },
      resolve: (_root, args, ctx, info) => loadEntities(ctx, info, plan, [args.id])[0]!,
    }),
  );
}
