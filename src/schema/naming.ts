/**
 * GraphQL names derived from the config: type names, root field names and safe field names.
 *
 * Rules (also in the README's GraphQL section):
 * - Type name: the table's `typeName`, else the table name in PascalCase (split on `_`, `-` and
 *   camel humps) with its last word made singular: `-ies` → `-y` (except a few words such as
 *   `movies`, `cookies`, `series`), `-sses`/`-xes`/`-ches`/`-shes` → drop `es`, a final `s` after
 *   anything but `s`, `u` or `i` → dropped, and `people` → `Person`, `children` → `Child`.
 *   `order_items` → `OrderItem`, `movies` → `Movie`, `categories` → `Category`. A default that
 *   would clash with a type of cachegate's own (`Row`, `FetchJob`, …) gets `Record` appended.
 * - Root fields: the list field is the table name; the single-entity field is the type name with
 *   a lower-case first letter. If that equals the table name (table `person`), the single field
 *   becomes `<n>ById`. A table named like a generic root field (`rows`, `cacheStats`, `job`)
 *   gets its list field as `<table>Table`.
 * - Field names: characters outside `[A-Za-z0-9_]` become `_`; a leading digit is prefixed
 *   with `_`; a leading `__` (reserved by GraphQL) becomes `f__`. A name taken already (by `id`,
 *   `field`, a relation or an earlier column, in config order) gets `_2`, `_3`, …
 *   The original column is always reachable as `field(path: "<column>")`.
 */
import { ConfigError } from '../errors.js';

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Type names the schema defines itself; a table type may not take them. */
export const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set([
  'Query',
  'Mutation',
  'Subscription',
  'String',
  'Int',
  'Float',
  'Boolean',
  'ID',
  'JSON',
  'BigInt',
  'DateTime',
  'Date',
  'Row',
  'TableStats',
  'FetchJob',
  'FetchProgress',
  'JobStatus',
]);

export const GENERIC_ROOT_FIELDS: ReadonlySet<string> = new Set(['rows', 'cacheStats', 'job', 'fetchJobs']);

const IRREGULAR: Readonly<Record<string, string>> = {
  people: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  data: 'data',
  news: 'news',
  series: 'series',
  species: 'species',
};
const IES_KEEP_IE = new Set(['movies', 'cookies', 'zombies', 'calories', 'pies', 'ties', 'lies', 'brownies']);

export function singular(word: string): string {
  const lower = word.toLowerCase();
  const irregular = IRREGULAR[lower];
  if (irregular !== undefined) return word.slice(0, 1) + irregular.slice(1);
  if (lower.endsWith('ies') && lower.length > 3) {
    return IES_KEEP_IE.has(lower) ? word.slice(0, -1) : `${word.slice(0, -3)}y`;
  }
  if (/(?:ss|x|ch|sh)es$/.test(lower)) return word.slice(0, -2);
  if (/[^sui]s$/.test(lower)) return word.slice(0, -1);
  return word;
}

/** Default GraphQL type name of a table (see the header for the rule). */
export function defaultTypeName(table: string): string {
  const words = table
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_\-\s]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return 'Entity';
  words[words.length - 1] = singular(words[words.length - 1]!);
  let name = words.map((w) => w.slice(0, 1).toUpperCase() + w.slice(1)).join('');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return RESERVED_TYPE_NAMES.has(name) ? `${name}Record` : name;
}

/** A column or relation name made into a valid GraphQL field name (before de-duplication). */
export function safeFieldName(name: string): string {
  let safe = name.replace(/[^_0-9A-Za-z]/g, '_');
  if (safe.length === 0) safe = '_';
  if (/^[0-9]/.test(safe)) safe = `_${safe}`;
  if (safe.startsWith('__')) safe = `f${safe}`;
  return safe;
}

/** Hands out unique names: the first request for a base name gets it, later ones `_2`, `_3`, … */
export class NameAllocator {
  readonly #taken = new Set<string>();
  constructor(reserved: Iterable<string> = []) {
    for (const name of reserved) this.#taken.add(name);
  }
  take(base: string): string {
    let name = base;
    for (let n = 2; this.#taken.has(name); n += 1) name = `${base}_${n}`;
    this.#taken.add(name);
    return name;
  }
}

export function lowerFirst(name: string): string {
  return name.slice(0, 1).toLowerCase() + name.slice(1);
}

export function assertTypeName(table: string, typeName: string): void {
  if (!GRAPHQL_NAME.test(typeName) || typeName.startsWith('__')) {
    throw new ConfigError(
      `tables.${table}.typeName must be a GraphQL name (letters, digits, _; not starting with a digit or __), but got ${JSON.stringify(typeName)}.`,
      { table, typeName },
    );
  }
  if (RESERVED_TYPE_NAMES.has(typeName)) {
    throw new ConfigError(
      `tables.${table}.typeName ${JSON.stringify(typeName)} is a type cachegate defines itself (${[...RESERVED_TYPE_NAMES].join(', ')}); set another typeName.`,
      { table, typeName },
    );
  }
}
