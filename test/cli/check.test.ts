/**
 * `cachegate check` on real databases: a throwaway schema on the PostgreSQL of DATABASE_URL
 * (skipped without it) and an embedded PGlite folder (always).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/sources/pglite.js';
import { tempCwd } from './cli-process.js';
import { runInProcess } from './in-process.js';

const URL = process.env['DATABASE_URL'];
const TABLES_SQL = (schema: string) => `
CREATE TABLE ${schema}.films (id int4 PRIMARY KEY, title text, views int8, price numeric(8, 2), shown timestamptz);
`;

interface Target {
  name: string;
  setup(dir: string): Promise<{ source: Record<string, string>; teardown(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'PGlite',
    async setup(dir) {
      const handle = await openPglite(path.join(dir, 'db'), undefined);
      await handle.db.exec(TABLES_SQL('public'));
      await handle.release();
      return { source: { kind: 'pglite', dataDir: 'db' }, teardown: async () => {} };
    },
  },
];
if (URL !== undefined) {
  targets.push({
    name: 'PostgreSQL',
    async setup() {
      const schema = `cg_check_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}; ${TABLES_SQL(schema)}`);
      return {
        source: { kind: 'postgres', url: URL, schema },
        teardown: async () => {
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  });
}

describe.each(targets)('cachegate check on $name', (target) => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let source: Record<string, string>;
  let teardown: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    ({ source, teardown } = await target.setup(dir));
  });
  afterAll(async () => {
    await teardown();
    await cleanup();
  });

  const writeConfig = (tables: Record<string, unknown>) =>
    writeFile(path.join(dir, 'cachegate.config.json'), JSON.stringify({ tables }));

  it('passes a config that matches, and lists the sources it cannot check', async () => {
    await writeConfig({
      films: {
        source: { ...source, table: 'films', idColumn: 'id' },
        columns: { title: 'String', views: 'BigInt', price: 'String', shown: 'DateTime' },
      },
      by_query: {
        source: {
          ...source,
          query: `SELECT id, title, views FROM ${source['schema'] ?? 'public'}.films WHERE id::text = ANY($1)`,
        },
        columns: { title: 'String', views: 'BigInt' },
      },
      remote: { source: { kind: 'module', path: 'x.mjs' }, columns: { a: 'String' } },
    });
    const { code, stdout, stderr } = await runInProcess(['check'], dir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^films\s+\S+ .*films\s+ok \(4 columns\)$/m);
    expect(stdout).toMatch(/^by_query\s+\S+ query\s+ok \(2 columns\)$/m);
    expect(stdout).toMatch(/^remote\s+not checked: module sources have no catalog/m);
    expect(stdout).toContain('Every checked table matches its source.');
  });

  it('exits 1 naming each mismatch: a missing column, a type that does not fit, a missing table', async () => {
    await writeConfig({
      films: {
        source: { ...source, table: 'films', idColumn: 'film_id' },
        columns: { title: 'String', views: 'Int', price: 'Float', shown: 'String', rating: 'Float' },
      },
      gone: { source: { ...source, table: 'no_such_table', idColumn: 'id' }, columns: { a: 'String' } },
    });
    const { code, stdout } = await runInProcess(['check'], dir);
    expect(code).toBe(1);
    expect(stdout).toContain('films');
    expect(stdout).toContain('4 mismatches');
    expect(stdout).toContain(
      'error: ID column "film_id" is not there (columns there: id, title, views, price, shown)',
    );
    expect(stdout).toContain('error: column "views": declared Int, but the upstream column is int8');
    expect(stdout).toContain('declare it BigInt or String or ID');
    expect(stdout).toContain('error: column "price": declared Float, but the upstream column is numeric');
    expect(stdout).toContain('error: column "rating" is not there');
    expect(stdout).toMatch(/error: source table \S*no_such_table does not exist/);
    expect(stdout).toContain('2 of 2 tables do not match their source');

    const json = await runInProcess(['check', 'films', '--json'], dir);
    expect(json.code).toBe(1);
    const [report] = JSON.parse(json.stdout);
    expect(report.table).toBe('films');
    expect(report.findings).toHaveLength(4);
  });
});

describe('cachegate check, unreachable source', () => {
  it('reports the connection failure as a mismatch, without the password', async () => {
    const { dir, cleanup } = await tempCwd();
    try {
      await writeFile(
        path.join(dir, 'cachegate.config.json'),
        JSON.stringify({
          tables: {
            t: {
              source: { kind: 'postgres', url: 'postgres://u:hunter2@127.0.0.1:1/db', table: 't' },
              columns: { a: 'String' },
            },
          },
        }),
      );
      const { code, stdout } = await runInProcess(['check'], dir);
      expect(code).toBe(1);
      expect(stdout).toContain('error: Cannot connect to PostgreSQL at 127.0.0.1:1/db');
      expect(stdout).not.toContain('hunter2');
    } finally {
      await cleanup();
    }
  });
});
