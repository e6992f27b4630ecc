// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} strings are the feature under test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_BATCH,
  DEFAULT_FETCH_LOCKS,
  DEFAULT_STORE,
  loadConfig,
  parseConfig,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cachegate-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const movies = () => ({
  typeName: 'Movie',
  source: { kind: 'postgres', url: 'postgres://127.0.0.1:5432/test', table: 'movies', idColumn: 'id' },
  columns: { title: 'String', year: 'Int', details: 'JSON', director_id: 'ID' },
  relations: { director: { table: 'people', column: 'director_id' } },
  ttl: '1h',
  batch: { concurrency: 1, maxSize: 5000 },
});
const people = () => ({
  typeName: 'Person',
  source: { kind: 'module', path: './people.js' },
  columns: { name: 'String' },
});

async function write(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The ConfigError message of a config that must fail. */
function failure(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(raw, dir, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads cachegate.config.json from cwd, with defaults and paths resolved', async () => {
    await write('cachegate.config.json', { tables: { movies: movies(), people: people() } });
    const config = await loadConfig({ cwd: dir });
    expect(config).toBeDefined();
    expect(config!.baseDir).toBe(dir);
    expect(config!.cacheDir).toBe(path.join(dir, '.cachegate'));
    expect(config!.store).toEqual(DEFAULT_STORE);
    expect(config!.tables['movies']).toEqual({
      typeName: 'Movie',
      source: { kind: 'postgres', url: 'postgres://127.0.0.1:5432/test', table: 'movies', idColumn: 'id' },
      columns: { title: 'String', year: 'Int', details: 'JSON', director_id: 'ID' },
      relations: { director: { table: 'people', column: 'director_id' } },
      ttlMs: 3_600_000,
      notFoundTtlMs: 600_000,
      batch: { ...DEFAULT_BATCH, maxSize: 5000 },
    });
    expect(config!.tables['people']!.ttlMs).toBeUndefined();
    expect(config!.tables['people']!.batch).toEqual(DEFAULT_BATCH);
  });

  it('loads an explicit path relative to cwd', async () => {
    await write('other.json', { cacheDir: 'cache', tables: { people: people() } });
    const config = await loadConfig({ cwd: dir, path: 'other.json' });
    expect(config!.cacheDir).toBe(path.join(dir, 'cache'));
  });

  it('returns undefined when no config file exists', async () => {
    expect(await loadConfig({ cwd: dir })).toBeUndefined();
  });

  it('fails for an explicit path that does not exist', async () => {
    await expect(loadConfig({ cwd: dir, path: 'missing.json' })).rejects.toThrow(
      /missing\.json does not exist/,
    );
  });

  it('names the file on a JSON syntax error', async () => {
    const file = await write('cachegate.config.json', '{ "tables": { ');
    const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`Config file ${file} is not valid JSON`);
  });

  it('names the file when its content is invalid', async () => {
    const file = await write('cachegate.config.json', { tables: { people: { typo: 1 } } });
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(`Invalid cachegate config in ${file}`);
  });

  it('loads a .js config (default export) and a .mjs one (config export)', async () => {
    await write('cachegate.config.js', `export default ${JSON.stringify({ tables: { people: people() } })};`);
    expect(Object.keys((await loadConfig({ cwd: dir }))!.tables)).toEqual(['people']);
    await write('named.mjs', `export const config = ${JSON.stringify({ tables: { movies2: people() } })};`);
    expect(Object.keys((await loadConfig({ cwd: dir, path: 'named.mjs' }))!.tables)).toEqual(['movies2']);
  });

  it('prefers .js over .json when both exist', async () => {
    await write('cachegate.config.json', { tables: { fromJson: people() } });
    await write('cachegate.config.js', `export default ${JSON.stringify({ tables: { fromJs: people() } })};`);
    expect(Object.keys((await loadConfig({ cwd: dir }))!.tables)).toEqual(['fromJs']);
  });

  it('rejects a module without a usable export', async () => {
    await write('cachegate.config.js', 'export const other = 1;');
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/default export or a `config` export/);
  });
});

describe('parseConfig', () => {
  it('substitutes ${ENV_VAR} in strings', () => {
    const raw = {
      tables: {
        movies: {
          ...movies(),
          source: { kind: 'postgres', url: 'postgres://${PGUSER}@${PGHOST}/db', table: 'movies' },
        },
        people: people(),
      },
    };
    const config = parseConfig(raw, dir, { PGUSER: 'ada', PGHOST: 'db.local' });
    expect(config.tables['movies']!.source).toMatchObject({
      url: 'postgres://ada@db.local/db',
      idColumn: 'id',
    });
  });

  it('names a missing environment variable and its key path', () => {
    const raw = {
      tables: { people: { ...people(), source: { kind: 'http', url: 'https://${API_HOST}/p?ids={ids}' } } },
    };
    expect(failure(raw)).toContain('tables.people.source.url: environment variable API_HOST is not set');
  });

  it('names the path of an unknown key, and lists every issue', () => {
    const message = failure({
      tables: {
        movies: { ...movies(), colums: {}, source: { kind: 'postgres', url: 5, table: 't' } },
        people: people(),
      },
      extra: true,
    });
    expect(message).toContain('tables.movies.colums: unknown key');
    expect(message).toContain('extra: unknown key');
    // Users have the README, not the design notes.
    expect(message).toContain('see the README, section Configuration');
    expect(message).not.toContain('DESIGN');
    expect(message).toContain('tables.movies.source.url: expected a string, got number 5');
  });

  it('rejects a bad column type, naming the allowed ones', () => {
    expect(failure({ tables: { people: { columns: { name: 'Text' } } } })).toContain(
      'tables.people.columns.name: expected one of "String" | "ID" | "Int" | "BigInt" | "Float" | "Boolean" | "JSON" | "DateTime" | "Date"',
    );
  });

  it('rejects relations to unknown tables or columns', () => {
    const message = failure({ tables: { movies: movies() } });
    expect(message).toContain(
      'tables.movies.relations.director.table: expected a configured table (movies), got "people"',
    );
    const bad = { ...movies(), relations: { director: { table: 'people', column: 'director' } } };
    expect(failure({ tables: { movies: bad, people: people() } })).toContain(
      'tables.movies.relations.director.column: expected a column of table "movies"',
    );
  });

  it('checks source shape: kind, and table xor query', () => {
    expect(failure({ tables: { a: { source: { kind: 'mysql' } } } })).toContain(
      'tables.a.source.kind: expected a source with "kind"',
    );
    expect(failure({ tables: { a: { source: { kind: 'pglite', table: 't', query: 'select' } } } })).toContain(
      'tables.a.source.query: expected either "table" or "query"',
    );
    expect(failure({ tables: { a: { source: { kind: 'pglite' } } } })).toContain('not neither');
  });

  it('rejects bad table, type and field names', () => {
    const message = failure({
      tables: { 'bad-name': {}, movie: { typeName: 'Movie', columns: { id: 'ID', _cg_x: 'Int' } } },
    });
    expect(message).toContain('tables.bad-name: expected a table name matching');
    expect(message).toContain('tables.movie.columns.id: "id" is defined on every type already');
    expect(message).toContain('tables.movie.columns._cg_x: names starting with "_cg_" are reserved');
    expect(message).toContain('tables.movie.typeName: typeName "Movie" gives "Query.movie"');
    // A computed key: `{ __proto__: … }` in a literal would set the prototype instead. A parsed
    // record drops such a key silently, so it is checked on the raw input.
    const proto = failure({ tables: { movie: { columns: { ['__proto__']: 'Int' } } } });
    expect(proto).toContain(
      'tables.movie.columns.__proto__: names starting with "__" are reserved by GraphQL',
    );
    expect(failure(JSON.parse('{"tables":{"movie":{"columns":{"__proto__":"Int"}}}}'))).toContain(
      'tables.movie.columns.__proto__',
    );
    expect(failure({ tables: { movie: { columns: { __kind: 'String' } } } })).toContain(
      'tables.movie.columns.__kind: names starting with "__" are reserved by GraphQL',
    );
  });

  it('parses durations and sizes', () => {
    const config = parseConfig(
      {
        tables: {
          a: { ttl: '500ms', notFoundTtl: 90_000, batch: { timeout: '30s', backoff: 250, retries: 0 } },
          b: { ttl: '7d' },
        },
        store: { maxPartBytes: '128MiB', maxPartRows: 1000, memoryBudgetBytes: '1GB' },
      },
      dir,
      {},
    );
    expect(config.tables['a']).toMatchObject({ ttlMs: 500, notFoundTtlMs: 90_000 });
    expect(config.tables['a']!.batch).toEqual({
      concurrency: 1,
      retries: 0,
      timeoutMs: 30_000,
      backoffMs: 250,
    });
    expect(config.tables['b']!.ttlMs).toBe(7 * 86_400_000);
    expect(config.store).toMatchObject({
      maxPartBytes: 128 * 2 ** 20,
      maxPartRows: 1000,
      memoryBudgetBytes: 1e9,
    });
    const message = failure({
      tables: { a: { ttl: '5 years' } },
      store: { maxPartBytes: 'lots', maxPartRows: 1.5 },
    });
    expect(message).toContain('tables.a.ttl: expected a duration such as "500ms"');
    expect(message).toContain('store.maxPartBytes: expected a positive size');
    expect(message).toContain('store.maxPartRows: expected an integer, got number 1.5');
  });

  it('takes fetchLocks (cross-replica locks in Redis) with defaults, from the environment too', () => {
    expect(parseConfig({ tables: {} }, dir, {}).fetchLocks).toBeUndefined();
    const config = parseConfig({ tables: {}, fetchLocks: { redisUrl: '${REDIS_URL}' } }, dir, {
      REDIS_URL: 'redis://cache:6379',
    });
    expect(config.fetchLocks).toEqual({ redisUrl: 'redis://cache:6379', ...DEFAULT_FETCH_LOCKS });
    const set = parseConfig(
      {
        tables: {},
        fetchLocks: { redisUrl: 'rediss://r:6380', prefix: 'shop-1', ttl: '10s', maxWait: '1m' },
      },
      dir,
      {},
    );
    expect(set.fetchLocks).toEqual({
      redisUrl: 'rediss://r:6380',
      prefix: 'shop-1',
      ttlMs: 10_000,
      maxWaitMs: 60_000,
    });
    const message = failure({
      tables: {},
      fetchLocks: { redisUrl: 'http://r', prefix: 'a b', ttl: '100ms', lock: true },
    });
    expect(message).toContain('fetchLocks.redisUrl: expected a redis:// or rediss:// URL');
    expect(message).toContain('fetchLocks.prefix: expected 1 to 64 letters');
    expect(message).toContain('fetchLocks.lock: unknown key');
    expect(failure({ tables: {}, fetchLocks: { redisUrl: 'redis://r', ttl: '100ms' } })).toContain(
      'fetchLocks.ttl: expected a ttl of at least 1s',
    );
  });

  it('resolves a pglite dataDir against the config folder', () => {
    const config = parseConfig(
      { tables: { a: { source: { kind: 'pglite', dataDir: 'db', table: 't' } } } },
      dir,
      {},
    );
    expect(config.tables['a']!.source).toEqual({
      kind: 'pglite',
      dataDir: path.join(dir, 'db'),
      table: 't',
      idColumn: 'id',
    });
  });
});

describe('descriptions', () => {
  it('takes a table description and columns written as { type, description } beside plain types', () => {
    const config = parseConfig(
      {
        tables: {
          movies: {
            ...movies(),
            description: 'Films in the catalogue.',
            columns: {
              title: { type: 'String', description: 'Title as released.' },
              year: { type: 'Int' },
              details: 'JSON',
              director_id: 'ID',
            },
          },
          people: people(),
        },
      },
      dir,
      {},
    );
    const t = config.tables['movies']!;
    expect(t.columns).toEqual({ title: 'String', year: 'Int', details: 'JSON', director_id: 'ID' });
    expect(t.description).toBe('Films in the catalogue.');
    expect(t.columnDescriptions).toEqual({ title: 'Title as released.' });
    expect(config.tables['people']!.columnDescriptions).toBeUndefined();
  });

  it('names the key of a bad described column', () => {
    const message = failure({
      tables: {
        movies: { ...movies(), columns: { title: { type: 'Text' }, year: { type: 'Int', note: 1 } } },
      },
    });
    expect(message).toContain('tables.movies.columns.title: type: expected one of String | ID');
    expect(message).toContain('tables.movies.columns.year.note: unknown key');
    expect(failure({ tables: { movies: { ...movies(), columns: { title: 3 } } } })).toContain(
      'tables.movies.columns.title: expected one of "String" | "ID"',
    );
  });
});
