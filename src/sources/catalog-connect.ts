/**
 * A short-lived connection for reading the catalog (`init`, `check`): one `pg.Client` for a
 * PostgreSQL URL, or the shared PGlite instance of a data folder.
 */
import pg from 'pg';
import { UpstreamFailedError } from '../errors.js';
import { openPglite } from './pglite.js';
import type { SqlQuery } from './sql.js';

export type CatalogTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir?: string | undefined; init?: string | undefined };

export interface CatalogConnection {
  run: SqlQuery;
  /** Names the database in messages, without a password. */
  upstream: string;
  close(): Promise<void>;
}

export async function connectCatalog(target: CatalogTarget): Promise<CatalogConnection> {
  if (target.kind === 'pglite') {
    const handle = await openPglite(target.dataDir, target.init);
    return {
      run: (text, params) => handle.db.query<Record<string, unknown>>(text, params),
      upstream: target.dataDir === undefined ? 'PGlite (in memory)' : `PGlite at ${target.dataDir}`,
      close: () => handle.release(),
    };
  }
  const upstream = describe(target.url);
  const client = new pg.Client({ connectionString: target.url });
  // An idle client dropped by the server must not crash the command.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new UpstreamFailedError(
      `Cannot connect to ${upstream}${typeof code === 'string' ? ` (${code})` : ''}: ${scrub((e as Error).message, target.url)}. Check that the database is running and that the URL (host, port, user, password, database) is right.`,
      {},
      { cause: e },
    );
  }
  return {
    run: (text, params) => client.query(text, params),
    upstream,
    close: () => client.end(),
  };
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.host || 'localhost'}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

function scrub(message: string, url: string): string {
  let out = message.replaceAll(url, '***');
  try {
    const password = new URL(url).password;
    if (password) out = out.replaceAll(decodeURIComponent(password), '***').replaceAll(password, '***');
  } catch {
    // Not a URL: nothing more to hide.
  }
  return out;
}
