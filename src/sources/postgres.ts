/** A PostgreSQL table (or custom query) as a source, over a small lazily created `pg.Pool`. */
import pg from 'pg';
import type { PostgresSourceConfig } from '../config/types.js';
import { createSqlSource, JSON_OIDS, type SqlQueryResult, TEMPORAL_PARSERS } from './sql.js';
import type { Source } from './types.js';

const POOL_MAX = 4;

/**
 * pg's parsers, except for dates and timestamps (see `TEMPORAL_PARSERS`) and JSON, kept as the
 * text the server sent (`normalizeValue` marks it checked); per pool, not global.
 */
const OWN_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  ...TEMPORAL_PARSERS,
  ...Object.fromEntries(JSON_OIDS.map((oid) => [oid, (text: string) => text])),
};

const types = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    const own = OWN_PARSERS[oid];
    if (own !== undefined && format !== 'binary') return own;
    // biome-ignore lint/suspicious/noExplicitAny: pg-types overloads do not accept a plain string format.
    return pg.types.getTypeParser(oid, format as any);
  },
};

export function createPostgresSource(cfg: PostgresSourceConfig, tableName: string): Source {
  const { upstream, scrub } = describeUrl(cfg.url);
  let pool: pg.Pool | undefined;

  const getPool = (): pg.Pool => {
    if (pool === undefined) {
      pool = new pg.Pool({ connectionString: cfg.url, max: POOL_MAX, types });
      // Without a listener, an idle client dropped by the server would crash the process.
      pool.on('error', () => {});
    }
    return pool;
  };

  const run = async (text: string, params: unknown[], signal?: AbortSignal): Promise<SqlQueryResult> => {
    signal?.throwIfAborted();
    const connecting = getPool().connect();
    // A client obtained after an abort is handed straight back.
    const client = await abortable(connecting, signal, () =>
      connecting.then((c) => c.release()).catch(() => {}),
    );
    const running = client.query(text, params);
    // The client goes back to the pool only once its query has really ended, even after an abort.
    running.then(
      () => client.release(),
      () => client.release(),
    );
    return abortable(running, signal, () => cancelBackend(cfg.url, processId(client)));
  };

  return createSqlSource({
    tableName,
    table: cfg.table ?? tableName,
    schema: cfg.schema,
    query: cfg.query,
    idColumn: cfg.idColumn,
    run,
    upstream,
    scrub,
    close: async () => {
      const p = pool;
      pool = undefined;
      await p?.end();
    },
  });
}

/** Settles with `p`, or rejects as soon as `signal` aborts and then runs `onAbort`. */
function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Promise<unknown>,
): Promise<T> {
  if (signal === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      reject(signal.reason);
      void onAbort();
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

// biome-ignore lint/suspicious/noExplicitAny: `processID` is set by pg but missing from @types/pg.
const processId = (client: pg.PoolClient): number | undefined => (client as any).processID;

/**
 * Stops the abandoned statement on the server; otherwise a timed-out batch keeps the upstream
 * busy. A separate connection is used because the pool may be full.
 */
async function cancelBackend(url: string, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // Best effort: the caller has already been answered.
  } finally {
    await c.end().catch(() => {});
  }
}

/** A password-free name for the upstream, and a scrubber for driver messages that might echo the URL. */
function describeUrl(url: string): { upstream: string; scrub: (m: string) => string } {
  const secrets = [url];
  let upstream = 'PostgreSQL';
  try {
    const u = new URL(url);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
    upstream = `PostgreSQL at ${u.host || 'localhost'}${u.pathname}`;
  } catch {
    // Not a URL (e.g. a libpq key=value string): name no host rather than risk echoing a password.
  }
  const scrub = (m: string): string => secrets.reduce((acc, s) => (s ? acc.replaceAll(s, '***') : acc), m);
  return { upstream, scrub };
}
