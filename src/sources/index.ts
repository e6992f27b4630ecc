/** Builds the configured source of a table; the only entry point the rest of cachegate needs. */
import type { SourceConfig } from '../config/types.js';
import { type GuardedSource, guardSource } from './guard.js';
import { createHttpSource } from './http.js';
import { createModuleSource } from './module.js';
import { createPgliteSource } from './pglite.js';
import { createPostgresSource } from './postgres.js';
import type { Source } from './types.js';

/** The table's source behind its guard (concurrency cap and circuit breaker, see guard.ts). */
export function createSource(cfg: SourceConfig, tableName: string, baseDir: string): GuardedSource {
  return guardSource(createRawSource(cfg, tableName, baseDir), tableName, cfg.kind, {
    maxConcurrency: cfg.maxConcurrency,
    breaker: cfg.breaker,
  });
}

function createRawSource(cfg: SourceConfig, tableName: string, baseDir: string): Source {
  switch (cfg.kind) {
    case 'postgres':
      return createPostgresSource(cfg, tableName);
    case 'pglite':
      return createPgliteSource(cfg, tableName, baseDir);
    case 'http':
      return createHttpSource(cfg, tableName);
    case 'module':
      return createModuleSource(cfg, tableName, baseDir);
  }
}

export {
  type BreakerState,
  type GuardedSource,
  type GuardOptions,
  guardSource,
  isOutage,
  type SourceHealth,
} from './guard.js';
export { createHttpSource } from './http.js';
export { createModuleSource } from './module.js';
export { createPgliteSource, openPglite, type PgliteHandle } from './pglite.js';
export { createPostgresSource } from './postgres.js';
export { buildSelect, quoteIdent, SQL_MAX_BATCH_SIZE } from './sql.js';
export type { DataFrameLike, FetchContext, Fetcher, Source, SourceResult, SourceRow } from './types.js';
