/**
 * The built-in demo served when no config file is found (DESIGN §3): four tables on one embedded
 * PGlite database, seeded on first start by deterministic SQL, so every clone serves the same rows.
 */
import { join } from 'node:path';
import {
  type CacheGateConfig,
  type ColumnType,
  DEFAULT_BATCH,
  DEFAULT_LIMITS,
  DEFAULT_NOT_FOUND_TTL_MS,
  DEFAULT_STORE,
  type RelationConfig,
  type TableConfig,
} from './types.js';

export const DEMO_ROWS = { people: 1_000, movies: 5_000, vendors: 200, orders: 20_000 } as const;

const DEMO_TTL_MS = 60 * 60_000;

const list = (values: readonly string[]): string => `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]`;
/** `1 + (expr) % n` indexes a Postgres array of n values (1-based) from any integer expression. */
const pick = (values: readonly string[], expr: string): string =>
  `(${list(values)})[1 + (${expr}) % ${values.length}]`;

// Word lists as space-separated strings: one value per line would bury the SQL below.
const words = (s: string): string[] => s.split(' ');
const FIRST_NAMES = words(
  'Ada Bela Chen Dana Emil Fatima Goran Hana Ivo Jun Kofi Lena Mateo Nia Omar Priya Quinn Rosa Sami Tove',
);
const LAST_NAMES = words(
  'Alvarez Berg Costa Dubois Eze Fischer Gupta Haddad Ito Jensen Kim Lopez Moreau Novak Okafor Park Rossi Sato Tanaka Varga Weber Xu Yilmaz Zielinski Nakamura',
);
const ADJECTIVES = words(
  'Silent Crimson Last Hidden Broken Golden Distant Frozen Wild Electric Midnight Paper',
);
const NOUNS = words(
  'River Empire Garden Signal Harbor Machine Summer Letter Orbit Mirror Voyage Kingdom Forest',
);
const GENRES = words('Drama Comedy Thriller Sci-Fi Romance Horror Documentary Animation Western');
const ROLES = words('Lead Supporting Cameo Narrator');
const LANGUAGES = words('en fr de ja es hi ko it');
const COUNTRIES = words('US DE FR JP BR IN NG SE MX KR');
const VENDOR_WORDS = words(
  'Acme Northwind Globex Initech Umbrella Stark Wayne Tyrell Hooli Vandelay Soylent',
);
const VENDOR_KINDS = words('Trading Supply Goods Imports Logistics Foods Tools');
const STATUSES = words('pending paid shipped delivered cancelled');

/** Name of person `expr` (an integer SQL expression 1..1000), shared by `people` and movie casts. */
const personName = (expr: string): string =>
  `${pick(FIRST_NAMES, expr)} || ' ' || ${pick(LAST_NAMES, `(${expr}) * 7`)}`;

// IDs are text so that `id = ANY($1::text[])` matches the string IDs the cache passes in.
// No random(): multiplications by primes modulo small counts spread values deterministically.
// IF NOT EXISTS / ON CONFLICT make the script safe to run twice, whichever table opens the db first.
export const DEMO_INIT_SQL = `
CREATE TABLE IF NOT EXISTS people (id text PRIMARY KEY, name text NOT NULL, born integer, profile jsonb);
INSERT INTO people (id, name, born, profile)
SELECT g::text, ${personName('g')}, 1930 + (g * 37) % 70,
  jsonb_build_object(
    'nationality', ${pick(COUNTRIES, 'g * 3')},
    'awards', (g * 11) % 6,
    'known_for', jsonb_build_array(${pick(GENRES, 'g')}, ${pick(GENRES, 'g + 4')}))
FROM generate_series(1, ${DEMO_ROWS.people}) AS g
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS movies (
  id text PRIMARY KEY, title text NOT NULL, year integer, rating double precision, details jsonb, director_id text);
INSERT INTO movies (id, title, year, rating, details, director_id)
SELECT g::text,
  ${pick(ADJECTIVES, 'g')} || ' ' || ${pick(NOUNS, 'g * 5')} || CASE WHEN g > 156 THEN ' ' || (g / 156 + 1)::text ELSE '' END,
  1950 + (g * 13) % 75,
  ((g * 7919) % 90 + 10) / 10.0,
  jsonb_build_object(
    'genres', jsonb_build_array(${pick(GENRES, 'g')}, ${pick(GENRES, 'g * 2 + 1')}),
    'cast', (SELECT jsonb_agg(jsonb_build_object(
        'name', ${personName('1 + (g * 17 + k * 101) % 1000')},
        'role', ${pick(ROLES, 'k - 1')}) ORDER BY k)
      FROM generate_series(1, 2 + g % 3) AS k),
    'meta', jsonb_build_object('score', (g * 29) % 101, 'language', ${pick(LANGUAGES, 'g * 3')}, 'runtime', 80 + (g * 7) % 100)),
  (1 + (g * 31) % ${DEMO_ROWS.people})::text
FROM generate_series(1, ${DEMO_ROWS.movies}) AS g
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS vendors (id text PRIMARY KEY, name text NOT NULL, country text, rating double precision);
INSERT INTO vendors (id, name, country, rating)
SELECT g::text, ${pick(VENDOR_WORDS, 'g')} || ' ' || ${pick(VENDOR_KINDS, 'g * 3')} || ' ' || g::text,
  ${pick(COUNTRIES, 'g * 7')}, ((g * 53) % 41 + 10) / 10.0
FROM generate_series(1, ${DEMO_ROWS.vendors}) AS g
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS orders (
  id text PRIMARY KEY, vendor_id text, total double precision, status text, items jsonb);
INSERT INTO orders (id, vendor_id, total, status, items)
SELECT g::text, (1 + (g * 7) % ${DEMO_ROWS.vendors})::text, ((g * 7919) % 100000) / 100.0, ${pick(STATUSES, 'g * 3')},
  (SELECT jsonb_agg(jsonb_build_object(
      'sku', 'SKU-' || lpad(((g * 37 + k * 211) % 10000)::text, 4, '0'),
      'qty', 1 + (g + k) % 4,
      'price', ((g * 13 + k * 97) % 10000) / 100.0) ORDER BY k)
    FROM generate_series(1, 1 + g % 3) AS k)
FROM generate_series(1, ${DEMO_ROWS.orders}) AS g
ON CONFLICT (id) DO NOTHING;
`;

export function demoConfig(cwd: string): CacheGateConfig {
  const cacheDir = join(cwd, '.cachegate');
  const dataDir = join(cacheDir, 'demo-db');
  const table = (
    name: string,
    typeName: string,
    columns: Record<string, ColumnType>,
    relations?: Record<string, RelationConfig>,
  ): TableConfig => ({
    typeName,
    // Every table carries the same init: the PGlite instance is shared per dataDir and seeded
    // by whichever table opens it first.
    source: { kind: 'pglite', dataDir, table: name, idColumn: 'id', init: DEMO_INIT_SQL },
    columns,
    ...(relations ? { relations } : {}),
    ttlMs: DEMO_TTL_MS,
    notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
    batch: { ...DEFAULT_BATCH },
  });
  // What GraphiQL's docs show for the demo (a user's config says it with `description` keys).
  const described = (
    t: TableConfig,
    description: string,
    columnDescriptions: Record<string, string>,
  ): TableConfig => ({
    ...t,
    description,
    ...(Object.keys(columnDescriptions).length > 0 ? { columnDescriptions } : {}),
  });
  return {
    cacheDir,
    baseDir: cwd,
    store: { ...DEFAULT_STORE },
    limits: { ...DEFAULT_LIMITS },
    tables: {
      movies: described(
        table(
          'movies',
          'Movie',
          { title: 'String', year: 'Int', rating: 'Float', details: 'JSON', director_id: 'ID' },
          { director: { table: 'people', column: 'director_id' } },
        ),
        `A demo film (IDs 1 to ${DEMO_ROWS.movies}).`,
        {
          details:
            'Keys: `genres` (array), `cast` (array of `name`, `role`), `meta` (`score`, `language`, `runtime`).',
        },
      ),
      people: described(
        table('people', 'Person', { name: 'String', born: 'Int', profile: 'JSON' }),
        `A demo person, director of films (IDs 1 to ${DEMO_ROWS.people}).`,
        { profile: 'Keys: `nationality`, `awards`, `known_for` (array of genres).' },
      ),
      vendors: described(
        table('vendors', 'Vendor', { name: 'String', country: 'String', rating: 'Float' }),
        `A demo vendor (IDs 1 to ${DEMO_ROWS.vendors}).`,
        {},
      ),
      orders: described(
        table(
          'orders',
          'Order',
          { vendor_id: 'ID', total: 'Float', status: 'String', items: 'JSON' },
          { vendor: { table: 'vendors', column: 'vendor_id' } },
        ),
        `A demo order (IDs 1 to ${DEMO_ROWS.orders}).`,
        { items: 'An array of `sku`, `qty`, `price`.' },
      ),
    },
  };
}
