/**
 * What a PostgreSQL (or PGlite) schema holds, read from pg_catalog: tables, their columns and
 * types, primary and foreign keys, and `COMMENT ON` texts. Used by `cachegate init` (to write a
 * config) and `cachegate check` (to compare one with the database). Talks to the database only
 * through a `SqlQuery`, like `sql.ts`.
 */
import type { SqlQuery } from './sql.js';

export interface CatalogColumn {
  name: string;
  /**
   * The type's name as pg_catalog spells it (`int4`, `timestamptz`, `_text`); a domain is given as
   * its base type, an enum as `enum`, any array as `array`.
   */
  pgType: string;
  nullable: boolean;
  comment?: string;
}

export interface CatalogForeignKey {
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
}

export interface CatalogTable {
  schema: string;
  name: string;
  /** `table`, `view`, … (pg_class.relkind spelled out). */
  kind: string;
  comment?: string;
  columns: CatalogColumn[];
  primaryKey: string[];
  foreignKeys: CatalogForeignKey[];
}

const RELKINDS: Record<string, string> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

// Domains resolve to their base type and enums/arrays to a category, so the type mapping sees
// what the driver will actually deliver.
const COLUMNS_SQL = `
SELECT c.relname AS "table", a.attname AS "name", NOT a.attnotnull AS "nullable",
  col_description(c.oid, a.attnum) AS "comment",
  CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END AS "type",
  CASE WHEN t.typtype = 'd' THEN bt.typtype ELSE t.typtype END AS "typtype",
  CASE WHEN t.typtype = 'd' THEN bt.typcategory ELSE t.typcategory END AS "category"
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
  AND ($2::text[] IS NULL OR c.relname = ANY($2::text[]))
ORDER BY c.relname, a.attnum`;

const TABLES_SQL = `
SELECT c.relname AS "name", c.relkind AS "relkind", obj_description(c.oid, 'pg_class') AS "comment"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND ($2::text[] IS NULL OR c.relname = ANY($2::text[]))
ORDER BY c.relname`;

const KEY_COLUMNS = (keys: string, rel: string) =>
  `array(SELECT a.attname::text FROM unnest(con.${keys}) WITH ORDINALITY AS k(num, pos)
     JOIN pg_attribute a ON a.attrelid = con.${rel} AND a.attnum = k.num ORDER BY k.pos)`;

const KEYS_SQL = `
SELECT c.relname AS "table", con.contype AS "kind",
  ${KEY_COLUMNS('conkey', 'conrelid')} AS "columns",
  fn.nspname AS "refSchema", fc.relname AS "refTable",
  ${KEY_COLUMNS('confkey', 'confrelid')} AS "refColumns"
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = $1 AND con.contype IN ('p', 'f')
  AND ($2::text[] IS NULL OR c.relname = ANY($2::text[]))
ORDER BY c.relname, con.conname`;

/** The tables of `schema` (only `tables` when given), in name order. */
export async function readCatalog(
  run: SqlQuery,
  schema: string,
  tables?: readonly string[],
): Promise<CatalogTable[]> {
  const params = [schema, tables === undefined ? null : [...tables]];
  const [tableRows, columnRows, keyRows] = [
    (await run(TABLES_SQL, params)).rows,
    (await run(COLUMNS_SQL, params)).rows,
    (await run(KEYS_SQL, params)).rows,
  ];
  const byName = new Map<string, CatalogTable>();
  for (const r of tableRows) {
    const t: CatalogTable = {
      schema,
      name: String(r['name']),
      kind: RELKINDS[String(r['relkind'])] ?? 'relation',
      columns: [],
      primaryKey: [],
      foreignKeys: [],
    };
    if (typeof r['comment'] === 'string') t.comment = r['comment'];
    byName.set(t.name, t);
  }
  for (const r of columnRows) {
    const t = byName.get(String(r['table']));
    if (t === undefined) continue;
    const col: CatalogColumn = {
      name: String(r['name']),
      pgType: columnType(r),
      nullable: r['nullable'] === true,
    };
    if (typeof r['comment'] === 'string') col.comment = r['comment'];
    t.columns.push(col);
  }
  for (const r of keyRows) {
    const t = byName.get(String(r['table']));
    if (t === undefined) continue;
    const columns = textArray(r['columns']);
    if (r['kind'] === 'p') t.primaryKey = columns;
    else {
      t.foreignKeys.push({
        columns,
        refSchema: String(r['refSchema']),
        refTable: String(r['refTable']),
        refColumns: textArray(r['refColumns']),
      });
    }
  }
  return [...byName.values()];
}

/**
 * The pg type names of a query's result columns (by the OIDs the driver reports), for sources
 * configured with `query` rather than `table`.
 */
export async function typeNames(run: SqlQuery, oids: readonly number[]): Promise<Map<number, string>> {
  const r = await run(
    `SELECT t.oid::int AS "oid",
       CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END AS "type",
       CASE WHEN t.typtype = 'd' THEN bt.typtype ELSE t.typtype END AS "typtype",
       CASE WHEN t.typtype = 'd' THEN bt.typcategory ELSE t.typcategory END AS "category"
     FROM pg_type t LEFT JOIN pg_type bt ON bt.oid = t.typbasetype WHERE t.oid = ANY($1::oid[])`,
    [[...oids]],
  );
  return new Map(r.rows.map((row) => [Number(row['oid']), columnType(row)]));
}

function columnType(r: Record<string, unknown>): string {
  if (r['category'] === 'A') return 'array';
  if (r['typtype'] === 'e') return 'enum';
  return String(r['type']);
}

// pg parses text[] into an array; be lenient with a driver that hands back the `{a,b}` literal.
function textArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.startsWith('{') && v.endsWith('}')) {
    return v.length === 2 ? [] : v.slice(1, -1).split(',');
  }
  return [];
}
