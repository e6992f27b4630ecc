// graphql/index.js: the build Pothos uses (see src/server/errors.ts); a bare `graphql` is another realm here.
import { execute, lexicographicSortSchema, parse, printSchema } from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import {
  type CacheGateConfig,
  DEFAULT_BATCH,
  DEFAULT_STORE,
  type TableConfig,
} from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';
import { buildSchema, defaultTypeName, planSchema, safeFieldName } from '../../src/schema/index.js';

const table = (t: Partial<TableConfig> = {}): TableConfig => ({
  notFoundTtlMs: 1_000,
  batch: DEFAULT_BATCH,
  ...t,
});
const config = (tables: Record<string, TableConfig>): CacheGateConfig => ({
  cacheDir: '/nonexistent',
  baseDir: '/nonexistent',
  store: DEFAULT_STORE,
  tables,
});

const SAMPLE = config({
  movies: table({
    typeName: 'Movie',
    columns: {
      title: 'String',
      year: 'Int',
      rating: 'Float',
      details: 'JSON',
      director_id: 'ID',
      released: 'Boolean',
      'release-date': 'String',
      release_date: 'String',
      '2nd_title': 'String',
      field: 'String',
      id: 'ID',
    },
    relations: { director: { table: 'people', column: 'director_id' } },
  }),
  people: table({ columns: { name: 'String' } }),
  order_items: table({ columns: { qty: 'Int' } }),
});

describe('buildSchema', () => {
  it('prints the contract of DESIGN §4 for a config', () => {
    expect(printSchema(lexicographicSortSchema(buildSchema(SAMPLE)))).toMatchSnapshot();
  });

  it('maps GraphQL-unsafe column names to safe, unique field names', () => {
    const movies = planSchema(SAMPLE).get('movies')!;
    const names = Object.fromEntries(
      movies.fields.map((f) => [f.kind === 'column' ? f.column : f.relation, f.name]),
    );
    expect(names).toEqual({
      director: 'director',
      title: 'title',
      year: 'year',
      rating: 'rating',
      details: 'details',
      director_id: 'director_id',
      released: 'released',
      'release-date': 'release_date',
      release_date: 'release_date_2',
      '2nd_title': '_2nd_title',
      field: 'field_2',
    });
  });

  it('names types and root fields by the documented rule', () => {
    expect(defaultTypeName('movies')).toBe('Movie');
    expect(defaultTypeName('people')).toBe('Person');
    expect(defaultTypeName('order_items')).toBe('OrderItem');
    expect(defaultTypeName('categories')).toBe('Category');
    expect(defaultTypeName('boxes')).toBe('Box');
    expect(defaultTypeName('status')).toBe('Status');
    expect(defaultTypeName('rows')).toBe('RowRecord');
    expect(safeFieldName('__meta')).toBe('f__meta');
    expect(safeFieldName('a b.c')).toBe('a_b_c');
    const plan = planSchema(config({ person: table(), rows: table() }));
    expect(plan.get('person')).toMatchObject({ listField: 'person', singleField: 'personById' });
    expect(plan.get('rows')).toMatchObject({ listField: 'rowsTable', singleField: 'rowRecord' });
  });

  it('refuses two tables with one type name, naming both', () => {
    const build = () =>
      buildSchema(config({ a: table({ typeName: 'Thing' }), b: table({ typeName: 'Thing' }) }));
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(/tables\.b and tables\.a both have the GraphQL type name "Thing"/);
  });

  it('refuses a typeName that cachegate defines itself', () => {
    expect(() => buildSchema(config({ a: table({ typeName: 'FetchJob' }) }))).toThrow(/set another typeName/);
  });

  it('reaches an unsafe column through its safe field and through field(path:)', async () => {
    const schema = buildSchema(SAMPLE);
    const lookups: string[][] = [];
    const cache = {
      config: SAMPLE,
      tables: () => Object.keys(SAMPLE.tables),
      lookup: async (_table: string, ids: readonly string[], columns: readonly string[]) => {
        lookups.push([...columns]);
        const values = Object.fromEntries(columns.map((c) => [c, `value of ${c}`]));
        return { rows: new Map(ids.map((id) => [id, values])), errors: new Map(), cellErrors: new Map() };
      },
    };
    const { createLoaders } = await import('../../src/loaders/index.js');
    // Only `config`, `tables` and `lookup` are used by entity fields; the rest of Cache is not needed here.
    const contextValue = { cache, loaders: createLoaders(cache as never), progress: undefined as never };
    const result = await execute({
      schema,
      document: parse('{ movie(id: "1") { id release_date raw: field(path: "release-date") } }'),
      contextValue,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      movie: { id: '1', release_date: 'value of release-date', raw: 'value of release-date' },
    });
    expect(lookups).toEqual([['release-date']]);
  });
  it('types BigInt, DateTime and Date columns with their scalars, added only when used', async () => {
    expect(printSchema(buildSchema(SAMPLE))).not.toMatch(/scalar (BigInt|DateTime|Date)\b/);
    const typed = config({
      events: table({
        typeName: 'Event',
        columns: { big: 'BigInt', at: 'DateTime', day: 'Date', bad: 'BigInt' },
      }),
    });
    const schema = buildSchema(typed);
    const sdl = printSchema(lexicographicSortSchema(schema));
    expect(sdl).toMatch(/scalar BigInt/);
    expect(sdl).toMatch(/scalar DateTime/);
    expect(sdl).toMatch(/scalar Date\b/);
    expect(sdl).toMatch(/big: BigInt\n/);
    expect(sdl).toMatch(/at: DateTime\n/);
    expect(sdl).toMatch(/day: Date\n/);

    // What the engine hands over (text), as clients receive it.
    const values: Record<string, unknown> = {
      big: '9223372036854775807',
      at: '2024-01-02T03:04:05.678Z',
      day: '2024-02-29',
      bad: '1.5',
    };
    const cache = {
      config: typed,
      tables: () => ['events'],
      lookup: async (_t: string, ids: readonly string[], columns: readonly string[]) => ({
        rows: new Map(ids.map((id) => [id, Object.fromEntries(columns.map((c) => [c, values[c]]))])),
        errors: new Map(),
        cellErrors: new Map(),
      }),
    };
    const { createLoaders } = await import('../../src/loaders/index.js');
    const contextValue = { cache, loaders: createLoaders(cache as never), progress: undefined as never };
    const result = await execute({
      schema,
      document: parse('{ event(id: "1") { big at day bad } }'),
      contextValue,
    });
    const data = JSON.parse(JSON.stringify(result.data)) as unknown;
    expect(data).toEqual({
      event: { big: '9223372036854775807', at: '2024-01-02T03:04:05.678Z', day: '2024-02-29', bad: null },
    });
    expect(result.errors?.map((e) => e.path)).toEqual([['event', 'bad']]);
    expect(() => buildSchema(config({ a: table({ typeName: 'DateTime' }) }))).toThrow(/set another typeName/);
  });
});
