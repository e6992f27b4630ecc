// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${DATABASE_URL}` is what init writes.
import { describe, expect, it } from 'vitest';
import { configFromCatalog } from '../../src/cli/init-config.js';
import { parseConfig } from '../../src/config/load.js';
import type { CatalogTable } from '../../src/sources/catalog.js';

const table = (name: string, extra: Partial<CatalogTable> = {}): CatalogTable => ({
  schema: 'public',
  name,
  kind: 'table',
  columns: [
    { name: 'id', pgType: 'int4', nullable: false },
    { name: 'label', pgType: 'text', nullable: true },
  ],
  primaryKey: ['id'],
  foreignKeys: [],
  ...extra,
});
const ref = { kind: 'postgres', url: '${DATABASE_URL}' } as const;

describe('configFromCatalog', () => {
  it('names types in the singular, PascalCase, and avoids names already in use', () => {
    const { config } = configFromCatalog(
      [
        table('categories'),
        table('order_items'),
        table('addresses'),
        table('statuses'),
        table('movie'),
        table('movies'),
        table('Query'),
      ],
      ref,
    );
    const names = Object.fromEntries(Object.entries(config.tables).map(([k, t]) => [k, t.typeName]));
    expect(names).toEqual({
      categories: 'Category',
      order_items: 'OrderItem',
      addresses: 'Address',
      statuses: 'Status',
      // `Query.movie` (the single-row field of `Movie`) is table movie's own list field.
      movie: 'MovieRow',
      movies: 'MovieRecord',
      Query: 'QueryRow',
    });
    // What it writes loads as a config.
    expect(() => parseConfig(config, '/tmp', { DATABASE_URL: 'postgres://x/y' })).not.toThrow();
  });

  it('names a relation after its column, and moves aside when that name is taken', () => {
    const fk = (column: string) => ({
      columns: [column],
      refSchema: 'public',
      refTable: 'people',
      refColumns: ['id'],
    });
    const { config } = configFromCatalog(
      [
        table('people'),
        table('films', {
          columns: [
            { name: 'id', pgType: 'uuid', nullable: false },
            { name: 'director_id', pgType: 'int4', nullable: true },
            { name: 'writer', pgType: 'int4', nullable: true },
            { name: 'director', pgType: 'text', nullable: true },
          ],
          foreignKeys: [fk('director_id'), fk('writer')],
        }),
      ],
      ref,
    );
    expect(config.tables['films']?.columns).toEqual({ director_id: 'ID', writer: 'ID', director: 'String' });
    expect(config.tables['films']?.relations).toEqual({
      director_id_ref: { table: 'people', column: 'director_id' },
      writer_ref: { table: 'people', column: 'writer' },
    });
  });
});
