/** cachegate as a library: the cache engine, its errors and config helpers. */

export { loadConfig, parseConfig } from './config/index.js';
export type {
  CacheGateConfig,
  ColumnType,
  FetchLocksConfig,
  SourceConfig,
  TableConfig,
} from './config/types.js';
export { type CacheInput, type CacheOptions, createCache } from './engine/cache.js';
export type * from './engine/types.js';
export * from './errors.js';
export type { FetchLocks, Lease } from './fetch/fetch-locks.js';
export type { BreakerState, SourceHealth } from './sources/guard.js';
export type { FetchContext, Fetcher, Source, SourceResult, SourceRow } from './sources/types.js';
