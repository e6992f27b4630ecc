/**
 * Every type, field, argument and enum value of the schema has a description (GraphiQL's docs
 * are the first thing a newcomer reads): the config's `description` keys where given, generated
 * text otherwise; `field(path:)` names a JSON column the table really has, or none.
 */
import {
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
} from 'graphql/index.js';
import { describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/demo.js';
import { parseConfig } from '../../src/config/load.js';
import { buildSchema } from '../../src/schema/index.js';

function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : [])
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isEnumType(type))
      for (const value of type.getValues())
        if (!value.description) missing.push(`${type.name}.${value.name}`);
  }
  return missing;
}

const userConfig = () =>
  parseConfig(
    {
      tables: {
        films: {
          typeName: 'Film',
          description: 'Films of the catalogue.',
          source: { kind: 'module', path: 'films.mjs' },
          columns: {
            title: { type: 'String', description: 'Original title.' },
            credits: 'JSON',
            studio_id: 'ID',
          },
          relations: { studio: { table: 'studios', column: 'studio_id', description: 'Who made it.' } },
        },
        studios: { source: { kind: 'module', path: 'studios.mjs' }, columns: { name: 'String' } },
      },
    },
    '/srv/app',
    {},
  );

describe('descriptions', () => {
  it.each([
    { case: 'the demo', config: () => demoConfig('/srv/app') },
    { case: 'a config without any description key', config: () => userConfig() },
  ])('leave nothing undescribed in $case', ({ config }) => {
    expect(undescribed(buildSchema(config()))).toEqual([]);
  });

  it("put the config's words first, keeping the generated facts", () => {
    const schema = buildSchema(userConfig());
    const film = schema.getType('Film');
    if (!isObjectType(film)) throw new Error('Film is not an object type');
    expect(film.description).toBe(
      'Films of the catalogue.\n\nA row of table `films`, read through the cache.',
    );
    expect(film.getFields()['title']?.description).toBe('Original title.\n\nColumn `title` (String).');
    expect(film.getFields()['credits']?.description).toBe('Column `credits` (JSON).');
    expect(film.getFields()['studio']?.description).toMatch(
      /^Who made it\.\n\nThe `Studio` whose ID is in column `studio_id`/,
    );
  });

  it('give field(path:) an example on a real JSON column of the table, or none', () => {
    const schema = buildSchema(userConfig());
    const pathOf = (type: string) => {
      const t = schema.getType(type);
      if (!isObjectType(t)) throw new Error(`${type} is not an object type`);
      return t.getFields()['field']?.description ?? '';
    };
    expect(pathOf('Film')).toMatch(/dot path into its JSON column `credits` \(`credits\.<key>`/);
    expect(pathOf('Studio')).toBe(
      'Any column of `studios` by its original name (it has no JSON column to read a dot path in).',
    );
    expect(pathOf('Studio')).not.toMatch(/details/);
  });
});
