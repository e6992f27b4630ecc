/**
 * One table's policy, in one place: which config a table name resolves to (configured, or an
 * unconfigured table a library call may use), and the store options derived from it (TTLs,
 * declared column types, background error reporting).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type ColumnSpec, logicalOf } from '../cache/column-types.js';
import type { TableOptions } from '../cache/store.js';
import {
  type CacheGateConfig,
  DEFAULT_BATCH,
  DEFAULT_NOT_FOUND_TTL_MS,
  TABLE_NAME,
  type TableConfig,
} from '../config/types.js';
import { TableNotFoundError } from '../errors.js';

const UNCONFIGURED: TableConfig = { notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS, batch: DEFAULT_BATCH };

/**
 * The config of `table`. A library call may name any valid table when it brings its own
 * fetcher, and may then inspect or drop what it cached (in this process or on disk).
 */
export function tableConfigOf(
  config: CacheGateConfig,
  table: string,
  known: { withFetcher: boolean; opened: boolean },
): TableConfig {
  const cfg = Object.hasOwn(config.tables, table) ? config.tables[table] : undefined;
  if (cfg) return cfg;
  if (
    known.withFetcher ||
    known.opened ||
    (TABLE_NAME.test(table) && existsSync(path.join(config.cacheDir, table)))
  )
    return UNCONFIGURED;
  throw new TableNotFoundError(table, Object.keys(config.tables));
}

export function storeOptions(
  cfg: TableConfig,
  hooks: Pick<TableOptions, 'beforeCommit' | 'onBackgroundError'>,
): TableOptions {
  return {
    ttlMs: cfg.ttlMs,
    notFoundTtlMs: cfg.notFoundTtlMs,
    declared: cfg.columns
      ? Object.fromEntries(
          Object.entries(cfg.columns).map(([c, t]): [string, ColumnSpec] => [
            c,
            { type: logicalOf(t), idLike: t === 'ID' },
          ]),
        )
      : undefined,
    beforeCommit: hooks.beforeCommit,
    onBackgroundError: hooks.onBackgroundError ?? warnBackground,
  };
}

function warnBackground(e: Error): void {
  process.emitWarning(`cachegate background write: ${e.message}`, { code: 'CACHEGATE_BACKGROUND' });
}
