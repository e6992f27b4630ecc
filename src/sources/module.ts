/** A user module as a source: it exports `fetch(ids, columns, ctx)`, imported on first use. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleSourceConfig } from '../config/types.js';
import { ConfigError, isCacheGateError, UpstreamFailedError } from '../errors.js';
import type { FetchContext, Fetcher, Source, SourceResult } from './types.js';

interface UserModule {
  fetch: Fetcher;
  columns?: () => Promise<string[] | undefined>;
  ping?: (signal: AbortSignal) => Promise<void>;
  close?: () => Promise<void>;
}

export function createModuleSource(cfg: ModuleSourceConfig, tableName: string, baseDir: string): Source {
  const file = resolve(baseDir, cfg.path);
  let loaded: Promise<UserModule> | undefined;

  const load = (): Promise<UserModule> => {
    if (loaded === undefined) {
      const p = importModule(file, cfg.path, tableName);
      loaded = p;
      // Retry the import next time: the file may have been fixed or created since.
      p.catch(() => {
        if (loaded === p) loaded = undefined;
      });
    }
    return loaded;
  };

  const fetch = async (ids: string[], columns: string[], ctx: FetchContext): Promise<SourceResult> => {
    const mod = await load();
    let result: unknown;
    try {
      result = await mod.fetch(ids, columns, ctx);
    } catch (e) {
      if (isCacheGateError(e)) throw e;
      const reason = e instanceof Error ? e.message : String(e);
      throw new UpstreamFailedError(
        `Module source "${cfg.path}" of table "${tableName}" failed: ${reason}`,
        { table: tableName },
        { cause: e },
      );
    }
    if (Array.isArray(result)) {
      // IDs are strings in cachegate; a module reading an int column should not have to care.
      return result.map((row: Record<string, unknown>) => {
        const id: unknown = row?.['id'];
        return typeof id === 'number' || typeof id === 'bigint' ? { ...row, id: String(id) } : row;
      });
    }
    if (isDataFrameLike(result)) return result;
    throw new UpstreamFailedError(
      `Module source "${cfg.path}" of table "${tableName}" returned ${typeof result}; fetch(ids, columns, ctx) must resolve to an array of rows ({ id, ...columns }) or a polars DataFrame with an "id" column.`,
      { table: tableName },
    );
  };

  const source: Source = {
    fetch,
    columns: async () => {
      const mod = await load();
      return mod.columns ? mod.columns() : undefined;
    },
    // Ready once the module imports, and its own `ping(signal)` (if it exports one) resolves.
    ping: async (signal) => {
      const mod = await load();
      try {
        await mod.ping?.(signal);
      } catch (e) {
        throw new UpstreamFailedError(
          `Module source "${cfg.path}" of table "${tableName}" failed its ping: ${e instanceof Error ? e.message : String(e)}`,
          { table: tableName },
          { cause: e },
        );
      }
    },
    close: async () => {
      // Never import a module only to close it.
      const mod = await loaded?.catch(() => undefined);
      await mod?.close?.();
    },
  };
  return cfg.maxSize === undefined ? source : { ...source, maxBatchSize: cfg.maxSize };
}

async function importModule(file: string, configured: string, tableName: string): Promise<UserModule> {
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError(
      `Module source "${configured}" of table "${tableName}" could not be imported from ${file}: ${reason}`,
      { table: tableName, path: configured },
      { cause: e },
    );
  }
  const def = ns['default'];
  const candidates = [
    ns,
    typeof def === 'object' && def !== null ? (def as Record<string, unknown>) : undefined,
  ];
  for (const c of candidates) {
    if (c !== undefined && typeof c['fetch'] === 'function') {
      // Bound, so a default-export object may use `this` in its methods.
      const mod: UserModule = { fetch: (c['fetch'] as Fetcher).bind(c) };
      if (typeof c['columns'] === 'function')
        mod.columns = (c['columns'] as NonNullable<UserModule['columns']>).bind(c);
      if (typeof c['ping'] === 'function') mod.ping = (c['ping'] as NonNullable<UserModule['ping']>).bind(c);
      if (typeof c['close'] === 'function')
        mod.close = (c['close'] as NonNullable<UserModule['close']>).bind(c);
      return mod;
    }
  }
  const exported = Object.keys(ns);
  throw new ConfigError(
    `Module source "${configured}" of table "${tableName}" (${file}) must export a function fetch(ids, columns, ctx) returning rows, or a default export object with one; it exports ${exported.length > 0 ? exported.join(', ') : 'nothing'}.`,
    { table: tableName, path: configured },
  );
}

function isDataFrameLike(v: unknown): v is SourceResult {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { columns?: unknown }).columns) &&
    typeof (v as { toRecords?: unknown }).toRecords === 'function'
  );
}
