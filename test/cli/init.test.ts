/**
 * `cachegate init` against a throwaway schema on the real PostgreSQL of DATABASE_URL (skipped
 * without it, like the other PostgreSQL tests), and against an embedded PGlite folder.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${DATABASE_URL}` is what init writes.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createCache } from '../../src/engine/cache.js';
import { openPglite } from '../../src/sources/pglite.js';
import { serviceAvailable } from '../helpers/services.js';
import { tempCwd } from './cli-process.js';
import { runInProcess } from './in-process.js';

const URL = process.env['DATABASE_URL'];

/** Every mapped type, a foreign key, comments, and tables init must skip. */
const SCHEMA_SQL = `
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE DOMAIN score AS int4;
CREATE TABLE people (id int8 PRIMARY KEY, name text NOT NULL, born date);
COMMENT ON TABLE people IS 'Directors and actors.';
COMMENT ON COLUMN people.name IS 'Full name.';
CREATE TABLE movies (
  id int4 PRIMARY KEY, title varchar(200), year int2, votes int4, views int8, budget numeric(12, 2),
  rating float8, weight float4, is_color bool, details jsonb, meta json, released timestamptz,
  shot_at timestamp, release_date date, code uuid, tags text[], feel mood, points score,
  director_id int8 REFERENCES people (id), "field" text, "two words" text
);
COMMENT ON COLUMN movies.budget IS 'In dollars, exact.';
CREATE TABLE no_key (a text);
CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b));
INSERT INTO people VALUES (7, 'Ada Lovelace', '1815-12-10');
INSERT INTO movies VALUES (1, 'First', 1999, 12, 9007199254740993, 1234567.89, 7.5, 0.5, true,
  '{"cast": [{"name": "A"}]}', '{"k": 1}', '2020-01-02T03:04:05Z', '2020-01-02 03:04:05', '2020-01-02',
  '6f1c1a3e-1b7a-4f6e-9a55-0d1f8f1f2a3b', '{x,y}', 'happy', 42, 7, 'f', 'w');
`;

const EXPECTED_MOVIE_COLUMNS = {
  title: 'String',
  year: 'Int',
  votes: 'Int',
  views: 'BigInt',
  budget: { type: 'String', description: 'In dollars, exact.' },
  rating: 'Float',
  weight: 'Float',
  is_color: 'Boolean',
  details: 'JSON',
  meta: 'JSON',
  released: 'DateTime',
  shot_at: 'DateTime',
  release_date: 'Date',
  code: 'String',
  tags: 'JSON',
  feel: 'String',
  points: 'Int',
  director_id: 'ID',
};

describe.runIf(serviceAvailable('PostgreSQL (DATABASE_URL)', URL !== undefined))(
  'cachegate init on PostgreSQL',
  () => {
    const schema = `cg_init_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: URL });
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await tempCwd());
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}; ${SCHEMA_SQL}`);
    });
    afterAll(async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
      await cleanup();
    });

    it('writes every table with a single-column key: types, ID, relations, descriptions, ${DATABASE_URL}', async () => {
      const { code, stdout, stderr } = await runInProcess(
        ['init', '--from', URL!, '--schema', schema],
        dir,
        {},
      );
      expect({ code, stderr }).toMatchObject({ code: 0 });
      const config = JSON.parse(await readFile(path.join(dir, 'cachegate.config.json'), 'utf8'));
      expect(Object.keys(config.tables)).toEqual(['movies', 'people']);
      expect(config.tables.people).toEqual({
        typeName: 'Person',
        description: 'Directors and actors.',
        source: { kind: 'postgres', url: '${DATABASE_URL}', schema, table: 'people', idColumn: 'id' },
        columns: { name: { type: 'String', description: 'Full name.' }, born: 'Date' },
      });
      expect(config.tables.movies.typeName).toBe('Movie');
      expect(config.tables.movies.columns).toEqual(EXPECTED_MOVIE_COLUMNS);
      expect(config.tables.movies.relations).toEqual({
        director: { table: 'people', column: 'director_id' },
      });
      // No URL, so no password, in the file.
      expect(JSON.stringify(config)).not.toContain(URL!);
      expect(stderr).toMatch(/skipped .*no_key: no primary key/);
      expect(stderr).toMatch(/skipped .*pairs: its primary key has 2 columns \(a, b\)/);
      expect(stderr).toContain('movies.field: left out');
      expect(stderr).toContain('movies.two words: left out');
      expect(stdout).toContain(
        'Wrote cachegate.config.json: 2 tables (movies, people), 20 columns, 1 relations',
      );
      expect(stdout).toContain(`export DATABASE_URL='${URL}'`);
      expect(stdout).toContain('cachegate check');
      expect(stdout).toContain('cachegate serve');
    });

    it('gives a config the engine serves: every typed value comes back, relations resolve', async () => {
      process.env['DATABASE_URL'] = URL;
      const config = (await loadConfig({ cwd: dir }))!;
      const cache = createCache(config);
      try {
        const movie = await cache.lookup('movies', ['1'], Object.keys(EXPECTED_MOVIE_COLUMNS));
        expect(movie.errors.size).toBe(0);
        expect(movie.rows.get('1')).toEqual({
          title: 'First',
          year: 1999,
          votes: 12,
          views: '9007199254740993',
          budget: '1234567.89',
          rating: 7.5,
          weight: 0.5,
          is_color: true,
          details: { cast: [{ name: 'A' }] },
          meta: { k: 1 },
          released: '2020-01-02T03:04:05.000Z',
          shot_at: '2020-01-02T03:04:05.000Z',
          release_date: '2020-01-02',
          code: '6f1c1a3e-1b7a-4f6e-9a55-0d1f8f1f2a3b',
          tags: ['x', 'y'],
          feel: 'happy',
          points: 42,
          director_id: '7',
        });
        const person = await cache.lookup('people', ['7'], ['name', 'born']);
        expect(person.rows.get('7')).toEqual({ name: 'Ada Lovelace', born: '1815-12-10' });
      } finally {
        await cache.close();
      }
    });

    it('refuses to overwrite without --force, and takes --tables', async () => {
      const again = await runInProcess(['init', '--from', URL!, '--schema', schema], dir);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('cachegate.config.json exists already: pass --force');

      const only = await runInProcess(
        ['init', '--from', URL!, '--schema', schema, '--tables', 'movies', '--force'],
        dir,
        { DATABASE_URL: URL },
      );
      expect(only.code).toBe(0);
      const config = JSON.parse(await readFile(path.join(dir, 'cachegate.config.json'), 'utf8'));
      expect(Object.keys(config.tables)).toEqual(['movies']);
      // The target table is not in the config: the foreign key stays a plain ID column.
      expect(config.tables.movies.relations).toBeUndefined();
      expect(only.stderr).toContain('table people is not in this config (add it with --tables)');
      // DATABASE_URL already holds the URL: no export line to copy.
      expect(only.stdout).not.toContain('export DATABASE_URL');

      const unknown = await runInProcess(
        ['init', '--from', URL!, '--schema', schema, '--tables', 'films', '--out', 'x.json'],
        dir,
      );
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no table films in schema');
    });

    it('names the problem when the database cannot be reached', async () => {
      const url = 'postgres://nobody:secret-pw@127.0.0.1:1/none';
      const { code, stderr } = await runInProcess(['init', '--from', url, '--out', 'y.json'], dir);
      expect(code).toBe(2);
      expect(stderr).toContain('Cannot connect to PostgreSQL at 127.0.0.1:1/none');
      expect(stderr).not.toContain('secret-pw');
    });
  },
);

describe('cachegate init on PGlite', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    const handle = await openPglite(path.join(dir, 'db'), undefined);
    await handle.db.exec(SCHEMA_SQL);
    await handle.release();
  });
  afterAll(() => cleanup());

  it('reads an embedded database folder and writes its path relative to the config', async () => {
    const { code, stdout, stderr } = await runInProcess(
      ['init', '--from', 'pglite:db', '--out', 'conf/cachegate.config.json'],
      dir,
    );
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain('from PGlite at');
    expect(stdout).toContain('cachegate serve --config conf/cachegate.config.json');
    const file = path.join(dir, 'conf', 'cachegate.config.json');
    const raw = JSON.parse(await readFile(file, 'utf8'));
    expect(raw.tables.movies.source).toEqual({
      kind: 'pglite',
      dataDir: '../db',
      schema: 'public',
      table: 'movies',
      idColumn: 'id',
    });
    expect(raw.tables.movies.columns).toEqual(EXPECTED_MOVIE_COLUMNS);

    const config = (await loadConfig({ path: file, cwd: dir }))!;
    const cache = createCache(config);
    try {
      const r = await cache.lookup('movies', ['1'], ['views', 'released', 'director_id']);
      expect(r.rows.get('1')).toEqual({
        views: '9007199254740993',
        released: '2020-01-02T03:04:05.000Z',
        director_id: '7',
      });
    } finally {
      await cache.close();
    }
  });
});
