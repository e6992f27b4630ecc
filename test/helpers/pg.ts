/**
 * A throwaway schema for SQL source tests: on the PostgreSQL of `DATABASE_URL` when set,
 * otherwise on an in-process PGlite (with a warning, since that is not the real server).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SourceConfig } from '../../src/config/types.js';
import { createPgliteSource, openPglite } from '../../src/sources/pglite.js';
import { createPostgresSource } from '../../src/sources/postgres.js';
import type { Source } from '../../src/sources/types.js';

export interface SqlSourceOptions {
  table?: string;
  query?: string;
  idColumn: string;
}

export interface TestDb {
  kind: 'postgres' | 'pglite';
  /** The fresh schema `cg_test_<random>`; `exec` runs with it first on the search path. */
  schema: string;
  exec(sql: string): Promise<void>;
  /** A source of the kind under test, reading from `schema`. */
  source(tableName: string, opts: SqlSourceOptions): Source;
  /** The config of such a source, for a cache or server that builds its own. */
  sourceConfig(opts: SqlSourceOptions): SourceConfig;
  /** Closes every source created here, drops the schema and disconnects. */
  teardown(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const schema = `cg_test_${randomBytes(6).toString('hex')}`;
  const sources: Source[] = [];
  const closeSources = async (): Promise<void> => {
    await Promise.all(sources.map((s) => s.close?.()));
  };
  const url = process.env['DATABASE_URL'];

  if (url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    return {
      kind: 'postgres',
      schema,
      exec: async (sql) => {
        await client.query(`SET search_path TO ${schema}, public; ${sql}`);
      },
      sourceConfig: (opts) => ({ kind: 'postgres', url, schema, ...opts }),
      source: (tableName, opts) => {
        const s = createPostgresSource({ kind: 'postgres', url, schema, ...opts }, tableName);
        sources.push(s);
        return s;
      },
      teardown: async () => {
        await closeSources();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      },
    };
  }

  console.warn('DATABASE_URL is not set: the PostgreSQL source tests run on PGlite instead.');
  // The init SQL keys the shared in-memory instance, so sources built below reach the same database.
  const init = `CREATE SCHEMA ${schema};`;
  const handle = await openPglite(undefined, init);
  return {
    kind: 'pglite',
    schema,
    exec: async (sql) => {
      await handle.db.exec(`SET search_path TO ${schema}, public; ${sql}`);
    },
    sourceConfig: (opts) => ({ kind: 'pglite', init, schema, ...opts }),
    source: (tableName, opts) => {
      const s = createPgliteSource({ kind: 'pglite', init, schema, ...opts }, tableName, process.cwd());
      sources.push(s);
      return s;
    },
    teardown: async () => {
      await closeSources();
      await handle.release();
    },
  };
}
