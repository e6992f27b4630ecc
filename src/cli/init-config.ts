/**
 * Turns a read catalog into the JSON config `cachegate init` writes: one table per database
 * table with a single-column primary key, typed columns, foreign keys as relations, comments
 * as descriptions. Pure, so every naming and skipping rule is tested without a database.
 */
import { GRAPHQL_NAME } from '../config/schema.js';
import { type ColumnType, TABLE_NAME } from '../config/types.js';
import type { CatalogTable } from '../sources/catalog.js';
import { suggestedType } from '../sources/pg-type-map.js';

export type SourceRef = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

type ColumnEntry = ColumnType | { type: ColumnType; description: string };

export interface RawTable {
  typeName: string;
  description?: string;
  source: Record<string, string>;
  columns: Record<string, ColumnEntry>;
  relations?: Record<string, { table: string; column: string }>;
}

export interface InitResult {
  config: { cacheDir: string; tables: Record<string, RawTable> };
  /** What was left out or changed, one line each, to print. */
  warnings: string[];
}

// Names the generated schema already uses (config/schema.ts keeps the authoritative checks).
const RESERVED_FIELDS = new Set(['id', 'field']);
const RESERVED_QUERY_FIELDS = new Set(['rows', 'cacheStats', 'job']);
const RESERVED_TYPES = new Set([
  'Query',
  'Mutation',
  'Subscription',
  'Row',
  'TableStats',
  'FetchJob',
  'FetchProgress',
  'JobStatus',
  'JSON',
  'ID',
  'String',
  'Int',
  'Float',
  'Boolean',
  'BigInt',
  'DateTime',
  'Date',
]);

export function configFromCatalog(tables: readonly CatalogTable[], source: SourceRef): InitResult {
  const warnings: string[] = [];
  // cachegate's own bookkeeping (the PGlite seed marker) is no data to serve.
  const usable = tables.filter((t) => {
    if (t.name.startsWith('_cachegate')) return false;
    const skip = skipReason(t);
    if (skip) warnings.push(`skipped ${t.schema}.${t.name}: ${skip}`);
    return skip === undefined;
  });
  const included = new Map(usable.map((t) => [t.name, t]));
  const typeNames = new Set<string>();
  const queryFields = new Set(usable.map((t) => t.name));
  const out: Record<string, RawTable> = {};

  for (const t of usable) {
    const idColumn = t.primaryKey[0]!;
    const fkColumns = new Map(
      t.foreignKeys.filter((fk) => fk.columns.length === 1).map((fk) => [fk.columns[0]!, fk]),
    );
    const columns: Record<string, ColumnEntry> = {};
    for (const c of t.columns) {
      if (c.name === idColumn) continue;
      const bad = fieldNameIssue(c.name);
      if (bad) {
        warnings.push(`${t.name}.${c.name}: left out, ${bad}`);
        continue;
      }
      // A foreign key holds another row's ID: typed ID whatever its SQL type.
      const type: ColumnType = fkColumns.has(c.name) ? 'ID' : suggestedType(c.pgType);
      columns[c.name] = c.comment ? { type, description: c.comment } : type;
    }
    const relations: Record<string, { table: string; column: string }> = {};
    for (const fk of t.foreignKeys) {
      const where = `${t.name}(${fk.columns.join(', ')}) → ${fk.refTable}`;
      if (fk.columns.length !== 1) {
        warnings.push(`${where}: no relation, multi-column foreign keys are not supported`);
        continue;
      }
      const column = fk.columns[0]!;
      const target = included.get(fk.refTable);
      if (fk.refSchema !== t.schema || target === undefined) {
        warnings.push(
          `${where}: no relation, table ${fk.refTable} is not in this config (add it with --tables)`,
        );
        continue;
      }
      if (fk.refColumns[0] !== target.primaryKey[0]) {
        warnings.push(`${where}: no relation, it references ${fk.refColumns[0]}, not the primary key`);
        continue;
      }
      if (!(column in columns)) continue;
      const name = relationName(column, columns, relations);
      relations[name] = { table: fk.refTable, column };
    }
    const typeName = uniqueTypeName(t.name, typeNames, queryFields);
    const entry: RawTable = {
      typeName,
      source: sourceOf(source, t, idColumn),
      columns,
    };
    if (t.comment) entry.description = t.comment;
    if (Object.keys(relations).length > 0) entry.relations = relations;
    // Key order as a reader expects it: name, description, source, columns, relations.
    out[t.name] = {
      typeName: entry.typeName,
      ...(entry.description === undefined ? {} : { description: entry.description }),
      source: entry.source,
      columns: entry.columns,
      ...(entry.relations === undefined ? {} : { relations: entry.relations }),
    };
  }
  return { config: { cacheDir: '.cachegate', tables: out }, warnings };
}

function skipReason(t: CatalogTable): string | undefined {
  if (!TABLE_NAME.test(t.name)) return `its name does not match ${TABLE_NAME}`;
  if (RESERVED_QUERY_FIELDS.has(t.name)) return `"${t.name}" is a built-in query field`;
  if (t.primaryKey.length === 0) {
    return `no primary key (a ${t.kind}); cachegate serves rows by one ID column: add it by hand with source.idColumn`;
  }
  if (t.primaryKey.length > 1) {
    return `its primary key has ${t.primaryKey.length} columns (${t.primaryKey.join(', ')}); cachegate needs a single ID column: add it by hand with source.query`;
  }
  return undefined;
}

function fieldNameIssue(name: string): string | undefined {
  if (!GRAPHQL_NAME.test(name)) return `its name is not a GraphQL field name (${GRAPHQL_NAME})`;
  if (RESERVED_FIELDS.has(name)) return `"${name}" is a field every type has already`;
  if (name.startsWith('_cg_')) return 'names starting with "_cg_" are reserved for the cache';
  return undefined;
}

function sourceOf(source: SourceRef, t: CatalogTable, idColumn: string): Record<string, string> {
  const base =
    source.kind === 'postgres'
      ? { kind: 'postgres', url: source.url }
      : { kind: 'pglite', dataDir: source.dataDir };
  return { ...base, schema: t.schema, table: t.name, idColumn };
}

/** `director_id` → `director`; the column name plus `_ref` when that is taken. */
function relationName(
  column: string,
  columns: Record<string, unknown>,
  taken: Record<string, unknown>,
): string {
  const stripped = column.replace(/_?(id|Id|ID)$/, '');
  for (const candidate of [stripped, `${column}_ref`]) {
    if (candidate !== '' && !(candidate in columns) && !(candidate in taken) && !fieldNameIssue(candidate)) {
      return candidate;
    }
  }
  return `${column}_ref_${Object.keys(taken).length}`;
}

/** `order_items` → `OrderItem`; suffixed with `Row` when it would collide with a name in use. */
function uniqueTypeName(table: string, taken: Set<string>, queryFields: Set<string>): string {
  const base = singular(table)
    .split('_')
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  const candidates = [base, `${base}Row`, `${base}Record`, `${base}Row${taken.size}`];
  for (const c of candidates) {
    const single = c.charAt(0).toLowerCase() + c.slice(1);
    const free =
      GRAPHQL_NAME.test(c) &&
      !RESERVED_TYPES.has(c) &&
      !taken.has(c) &&
      !RESERVED_QUERY_FIELDS.has(single) &&
      !queryFields.has(single);
    if (free) {
      taken.add(c);
      queryFields.add(single);
      return c;
    }
  }
  throw new Error(`no free GraphQL type name for table ${table}`);
}

/** English plural → singular for the common table names (`movies`, `addresses`, `people`). */
function singular(word: string): string {
  if (/people$/i.test(word)) return word.replace(/people$/i, (m) => (m[0] === 'P' ? 'Person' : 'person'));
  if (/(series|species)$/.test(word)) return word;
  // movies, cookies, zombies keep their "ie"; categories, companies do not.
  if (/(ov|ook|omb|ogg|ick)ies$/.test(word)) return word.slice(0, -1);
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|x|ch|sh|us)es$/.test(word)) return word.slice(0, -2);
  if (/ses$/.test(word)) return word.slice(0, -1);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return word;
}
