/**
 * What the schema exposes for each configured table: its type name, root fields and the
 * GraphQL field of every column and relation (names made safe by `naming.ts`).
 * Computed once from the config; the type files and the column collector read it.
 */
import type { CacheGateConfig, ColumnType } from '../config/types.js';
import { ConfigError } from '../errors.js';
import {
  assertTypeName,
  defaultTypeName,
  GENERIC_ROOT_FIELDS,
  lowerFirst,
  NameAllocator,
  safeFieldName,
} from './naming.js';

export interface ColumnField {
  kind: 'column';
  /** GraphQL field name. */
  name: string;
  /** Column name as configured (what the cache is asked for). */
  column: string;
  type: ColumnType;
  /** From the config (`columns.<name>.description`); generated when absent. */
  description?: string;
}

export interface RelationField {
  kind: 'relation';
  name: string;
  /** Relation name as configured. */
  relation: string;
  /** Column of this table holding the related table's ID. */
  column: string;
  table: string;
  description?: string;
}

export type EntityField = ColumnField | RelationField;

export interface TablePlan {
  table: string;
  typeName: string;
  /** From the config (`tables.<name>.description`); generated when absent. */
  description?: string;
  /** `Query.<listField>(ids: [ID!]!): [N]!` */
  listField: string;
  /** `Query.<singleField>(id: ID!): N` */
  singleField: string;
  fields: EntityField[];
  byName: ReadonlyMap<string, EntityField>;
}

export type SchemaPlan = ReadonlyMap<string, TablePlan>;

/** Fields every entity type has besides its columns and relations. */
export const FIXED_ENTITY_FIELDS = ['id', 'field'] as const;

export function planSchema(config: CacheGateConfig): SchemaPlan {
  const tables = Object.keys(config.tables);
  const rootFields = new NameAllocator(GENERIC_ROOT_FIELDS);
  const typeNames = new Map<string, string>();
  const listFields = new Map<string, string>();
  // List fields first: the table name is what users expect to type, so it wins over singles.
  for (const table of tables) {
    listFields.set(table, rootFields.take(GENERIC_ROOT_FIELDS.has(table) ? `${table}Table` : table));
  }
  const plans = new Map<string, TablePlan>();
  for (const table of tables) {
    const tableConfig = config.tables[table]!;
    const typeName = tableConfig.typeName ?? defaultTypeName(table);
    assertTypeName(table, typeName);
    const other = typeNames.get(typeName);
    if (other !== undefined) {
      throw new ConfigError(
        `tables.${table} and tables.${other} both have the GraphQL type name "${typeName}"; set a distinct typeName on one of them.`,
        { table, typeName },
      );
    }
    typeNames.set(typeName, table);
    const single = lowerFirst(typeName);
    const singleField = rootFields.take(single === listFields.get(table) ? `${single}ById` : single);

    const names = new NameAllocator(FIXED_ENTITY_FIELDS);
    const fields: EntityField[] = [];
    for (const [relation, rel] of Object.entries(tableConfig.relations ?? {})) {
      if (config.tables[rel.table] === undefined) {
        throw new ConfigError(
          `tables.${table}.relations.${relation}.table must name a configured table (${tables.join(', ')}), but got ${JSON.stringify(rel.table)}.`,
          { table, relation },
        );
      }
      fields.push({
        kind: 'relation',
        name: names.take(safeFieldName(relation)),
        relation,
        column: rel.column,
        table: rel.table,
        ...(rel.description === undefined ? {} : { description: rel.description }),
      });
    }
    for (const [column, type] of Object.entries(tableConfig.columns ?? {})) {
      // The ID is served by `id: ID!` already; a configured `id` column adds nothing.
      if (column === 'id') continue;
      const description = tableConfig.columnDescriptions?.[column];
      fields.push({
        kind: 'column',
        name: names.take(safeFieldName(column)),
        column,
        type,
        ...(description === undefined ? {} : { description }),
      });
    }
    plans.set(table, {
      table,
      typeName,
      ...(tableConfig.description === undefined ? {} : { description: tableConfig.description }),
      listField: listFields.get(table)!,
      singleField,
      fields,
      byName: new Map(fields.map((f) => [f.name, f])),
    });
  }
  return plans;
}
