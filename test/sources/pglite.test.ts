import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteSourceConfig } from '../../src/config/types.js';
import { createPgliteSource, openPglite } from '../../src/sources/pglite.js';
import type { FetchContext, SourceResult, SourceRow } from '../../src/sources/types.js';

const ctx: FetchContext = { table: 't', signal: new AbortController().signal, batch: 1, attempt: 1 };
const rows = (r: SourceResult): SourceRow[] => (Array.isArray(r) ? r : r.toRecords());

const SEED = `
  CREATE TABLE movies (id int PRIMARY KEY, title text, details jsonb, director_id int);
  CREATE TABLE people (id text PRIMARY KEY, name text);
  INSERT INTO movies VALUES (1, 'Alien', '{"cast":["Weaver"]}', 10), (2, 'Heat', null, 11);
  INSERT INTO people VALUES ('10', 'Scott'), ('010', 'Not Scott');
  CREATE TABLE seed_runs (n int); INSERT INTO seed_runs VALUES (1);
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cg-pglite-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pglite source', () => {
  it('seeds an in-memory database once and serves several tables from it', async () => {
    const base: PgliteSourceConfig = { kind: 'pglite', idColumn: 'id', init: `${SEED} -- in memory` };
    const movies = createPgliteSource({ ...base, table: 'movies' }, 'movies', dir);
    const people = createPgliteSource(base, 'people', dir);
    const m = rows(await movies.fetch(['1', '3'], ['title', 'details'], ctx));
    expect(m).toEqual([{ id: '1', title: 'Alien', details: { cast: ['Weaver'] } }]);
    const p = rows(await people.fetch(['010'], ['name'], ctx));
    expect(p).toEqual([{ id: '010', name: 'Not Scott' }]);

    const seen = await openPglite(undefined, base.init);
    const runs = await seen.db.query<{ n: number }>('SELECT count(*)::int AS n FROM seed_runs');
    expect(runs.rows[0]?.n).toBe(1);
    await seen.release();
    await movies.close?.();
    await people.close?.();
  });

  it('keeps a dataDir database across reopenings without seeding it again', async () => {
    const cfg: PgliteSourceConfig = {
      kind: 'pglite',
      dataDir: 'db',
      idColumn: 'id',
      init: SEED,
      table: 'people',
    };
    const first = createPgliteSource(cfg, 'people', dir);
    await first.fetch(['10'], ['name'], ctx);
    await first.close?.();

    const again = createPgliteSource({ ...cfg, table: 'seed_runs' }, 'seed_runs', dir);
    expect(await again.columns?.()).toEqual(['n']);
    const handle = await openPglite(join(dir, 'db'), SEED);
    const runs = await handle.db.query<{ n: number }>('SELECT count(*)::int AS n FROM seed_runs');
    expect(runs.rows[0]?.n).toBe(1);
    await handle.release();
    await again.close?.();
  });

  it('rejects an unknown column with COLUMN_NOT_FOUND', async () => {
    const src = createPgliteSource(
      { kind: 'pglite', idColumn: 'id', init: SEED, table: 'movies' },
      'movies',
      dir,
    );
    await expect(src.fetch(['1'], ['rating'], ctx)).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND' });
    await src.close?.();
  });
});
