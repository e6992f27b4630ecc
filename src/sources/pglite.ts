/**
 * An embedded PGlite database as a source. Several tables of one database share a single
 * PGlite instance per process (a dataDir may be opened only once), kept in a refcounted registry.
 */
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgliteSourceConfig } from '../config/types.js';
import { createSqlSource, type SqlQueryResult, TEMPORAL_PARSERS } from './sql.js';
import type { Source } from './types.js';

/** Created with the init SQL, so a database that has it was already seeded. */
const INIT_MARKER = '_cachegate_init';

interface Entry {
  db: Promise<PGlite>;
  refs: number;
}

const registry = new Map<string, Entry>();

export interface PgliteHandle {
  db: PGlite;
  release(): Promise<void>;
}

/**
 * The shared instance for `dataDir` (absolute; in memory when undefined) and `init`. In-memory
 * databases are keyed by their init SQL too, so two configs with different seeds stay apart.
 */
export async function openPglite(
  dataDir: string | undefined,
  init: string | undefined,
): Promise<PgliteHandle> {
  const key = dataDir === undefined ? `memory:${init ?? ''}` : `dir:${dataDir}`;
  let entry = registry.get(key);
  if (entry === undefined) {
    const created: Entry = { db: createDb(dataDir, init), refs: 0 };
    registry.set(key, created);
    created.db.catch(() => {
      if (registry.get(key) === created) registry.delete(key);
    });
    entry = created;
  }
  entry.refs += 1;
  const current = entry;
  let released = false;
  try {
    const db = await current.db;
    return {
      db,
      release: async () => {
        if (released) return;
        released = true;
        current.refs -= 1;
        if (current.refs === 0 && registry.get(key) === current) {
          registry.delete(key);
          await db.close();
        }
      },
    };
  } catch (e) {
    current.refs -= 1;
    throw e;
  }
}

async function createDb(dataDir: string | undefined, init: string | undefined): Promise<PGlite> {
  const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  if (init !== undefined && init.trim() !== '') {
    const seeded = await db.query('SELECT to_regclass($1) AS t', [`public.${INIT_MARKER}`]);
    if ((seeded.rows[0] as { t: unknown } | undefined)?.t == null) {
      // One transaction: a crash mid-seed leaves no marker, so the next start seeds again.
      await db.transaction(async (tx) => {
        await tx.exec(init);
        await tx.exec(`CREATE TABLE public.${INIT_MARKER} (created_at timestamptz DEFAULT now())`);
      });
    }
  }
  return db;
}

export function createPgliteSource(cfg: PgliteSourceConfig, tableName: string, baseDir: string): Source {
  const dataDir = cfg.dataDir === undefined ? undefined : resolve(baseDir, cfg.dataDir);
  let handle: Promise<PgliteHandle> | undefined;

  const getDb = async (): Promise<PGlite> => {
    if (handle === undefined) {
      const h = openPglite(dataDir, cfg.init);
      handle = h;
      h.catch(() => {
        if (handle === h) handle = undefined;
      });
    }
    return (await handle).db;
  };

  const run = async (text: string, params: unknown[], signal?: AbortSignal): Promise<SqlQueryResult> => {
    signal?.throwIfAborted();
    const db = await getDb();
    // Per query: the instance is shared by every table (and config) on this database.
    const running = db.query<Record<string, unknown>>(text, params, { parsers: TEMPORAL_PARSERS });
    if (signal === undefined) return running;
    // PGlite cannot cancel a statement; answer the caller at once and let the statement finish.
    running.catch(() => {});
    return new Promise<SqlQueryResult>((resolve, reject) => {
      const abort = (): void => reject(signal.reason);
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      running.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  };

  return createSqlSource({
    tableName,
    table: cfg.table ?? tableName,
    schema: cfg.schema,
    query: cfg.query,
    idColumn: cfg.idColumn,
    run,
    upstream: dataDir === undefined ? 'PGlite (in memory)' : `PGlite at ${dataDir}`,
    close: async () => {
      const h = handle;
      handle = undefined;
      await h?.then(
        (x) => x.release(),
        () => {},
      );
    },
  });
}
