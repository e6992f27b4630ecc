/**
 * The shape of a validated cachegate config (shared/DESIGN.md §3). The zod schema in
 * `schema.ts` produces exactly this; everything downstream depends on these types only.
 */
import type { AccessConfig } from './access-types.js';

export type {
  AccessConfig,
  AuthConfig,
  AuthTokenConfig,
  CorsConfig,
  JwtConfig,
  Role,
} from './access-types.js';

/**
 * Column types a table may declare (DESIGN §3); `ID` and `String` are text, `JSON` is stored as
 * JSON text, `Int` is 32-bit, `BigInt` 64-bit (served as a string), `DateTime` a UTC instant.
 */
export type ColumnType =
  | 'String'
  | 'ID'
  | 'Int'
  | 'BigInt'
  | 'Float'
  | 'Boolean'
  | 'JSON'
  | 'DateTime'
  | 'Date';

/** A source's circuit breaker: opens after `failures` consecutive outage failures. */
export interface BreakerConfig {
  failures: number;
  /** First pause before a probe call; doubles (with jitter) while probes fail, up to the max. */
  halfOpenAfterMs: number;
  maxHalfOpenAfterMs: number;
}

/** What every source kind accepts on top of its own keys (applied by `sources/guard.ts`). */
export interface SourceGuardConfig {
  /** Upstream calls of this source at once, across all requests and jobs. */
  maxConcurrency?: number;
  /** `false` turns the breaker off. */
  breaker?: BreakerConfig | false;
}

export const DEFAULT_SOURCE_CONCURRENCY = 4;
export const DEFAULT_BREAKER: BreakerConfig = {
  failures: 5,
  halfOpenAfterMs: 1_000,
  maxHalfOpenAfterMs: 30_000,
};

export interface PostgresSourceConfig extends SourceGuardConfig {
  kind: 'postgres';
  url: string;
  /** Either `table` (+ `idColumn`) or `query` taking the ID array as `$1`. */
  table?: string;
  schema?: string;
  query?: string;
  idColumn: string;
}

export interface PgliteSourceConfig extends SourceGuardConfig {
  kind: 'pglite';
  /** Folder of the embedded database; in memory when absent. */
  dataDir?: string;
  table?: string;
  schema?: string;
  query?: string;
  idColumn: string;
  /** SQL run once when the database is created (demo seeding). */
  init?: string;
}

export interface HttpSourceConfig extends SourceGuardConfig {
  kind: 'http';
  /** URL template: `{ids}` is replaced by the comma-joined, URL-encoded IDs, `{columns}` likewise. */
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Dot path to the array of rows in the JSON response; the response itself when absent. */
  rowsPath?: string;
  /** Key holding the ID in each row. */
  idField: string;
  timeoutMs?: number;
  maxSize?: number;
  /** Requested by the readiness check (`GET /health/ready`); the URL with no IDs when absent. */
  healthUrl?: string;
}

export interface ModuleSourceConfig extends SourceGuardConfig {
  kind: 'module';
  /** Path (relative to the config file) of a module exporting `fetch(ids, columns, ctx)`. */
  path: string;
  maxSize?: number;
}

export type SourceConfig = PostgresSourceConfig | PgliteSourceConfig | HttpSourceConfig | ModuleSourceConfig;

export interface RelationConfig {
  table: string;
  column: string;
  description?: string;
}

export interface BatchConfig {
  /** Batches run at once; 1 (sequential) by default so the upstream is not overwhelmed. */
  concurrency: number;
  /** Largest batch the source accepts (bind parameter limits, page sizes). */
  maxSize?: number;
  /** Attempts after the first one. */
  retries: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** First backoff delay; doubles each retry, with jitter. */
  backoffMs: number;
}

export interface TableConfig {
  typeName?: string;
  /** Shown as the GraphQL type's description (`init` copies the table's `COMMENT ON`). */
  description?: string;
  source?: SourceConfig;
  columns?: Record<string, ColumnType>;
  /**
   * Descriptions of the columns written as `{ "type": ..., "description": ... }` in the config;
   * kept apart from `columns` so that everything reading column types is unchanged.
   */
  columnDescriptions?: Record<string, string>;
  relations?: Record<string, RelationConfig>;
  /** Milliseconds a fetched column stays fresh; forever when absent. */
  ttlMs?: number;
  /** Milliseconds an ID the upstream did not return is remembered as not found. */
  notFoundTtlMs: number;
  batch: BatchConfig;
}

export interface StoreLimits {
  /** A part file larger than this (bytes, estimated in memory) is split. */
  maxPartBytes: number;
  /** A part with more rows than this is split. */
  maxPartRows: number;
  /**
   * Bytes of parsed parts kept in memory, at their decoded size, with their lookup index (about
   * as much again). A part that does not fit is scanned from its file by large lookups.
   */
  memoryBudgetBytes: number;
  /** Bytes of fetched rows waiting for a flush; a fetch waits when the buffer is this full. */
  writeBufferBytes: number;
  /** A flush starts at once when this many rows wait. */
  flushRows: number;
  /** Longest time rows wait in the buffer before a flush. */
  flushIntervalMs: number;
  /** Compaction starts when a table has this many deltas... */
  compactDeltas: number;
  /** ...or its deltas hold this many rows (or as many as the base, if fewer; at least 10,000). */
  compactDeltaRows: number;
}

/**
 * Cross-replica fetch locks in Redis (DESIGN §6): replicas sharing one cache folder do not fetch
 * the same IDs at once. `cachegate serve` turns them on from `REDIS_URL` when the config has none.
 */
export interface FetchLocksConfig {
  redisUrl: string;
  /** Key namespace; by default a hash of the absolute cache folder (set it when replicas mount the folder at different paths). */
  prefix?: string;
  /** Life of a claim between renewals: how long a replica that died mid-batch blocks the others. */
  ttlMs: number;
  /** Longest wait for IDs another replica is fetching; then the waiter fetches them itself. */
  maxWaitMs: number;
}

export const DEFAULT_FETCH_LOCKS = {
  ttlMs: 15_000,
  /** Covers one batch's worst case under DEFAULT_BATCH: 3 attempts × 30 s, plus backoff. */
  maxWaitMs: 120_000,
} as const;

export interface CacheGateConfig extends AccessConfig {
  cacheDir: string;
  tables: Record<string, TableConfig>;
  store: StoreLimits;
  /** Absent: fetches are coordinated within the process only. */
  fetchLocks?: FetchLocksConfig;
  /** Request limits (DESIGN §4); DEFAULT_LIMITS where absent. */
  limits?: Limits;
  /** Folder the config was loaded from; module source paths resolve against it. */
  baseDir: string;
}

export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const DEFAULT_BATCH: BatchConfig = {
  concurrency: 1,
  retries: 2,
  timeoutMs: 30_000,
  backoffMs: 200,
};

export const DEFAULT_STORE: StoreLimits = {
  maxPartBytes: 128 * 1024 * 1024,
  maxPartRows: 1_000_000,
  memoryBudgetBytes: 1024 * 1024 * 1024,
  writeBufferBytes: 64 * 1024 * 1024,
  flushRows: 50_000,
  flushIntervalMs: 200,
  compactDeltas: 64,
  compactDeltaRows: 250_000,
};

export const DEFAULT_NOT_FOUND_TTL_MS = 10 * 60_000;

/**
 * Limits of what one client may ask (DESIGN §4), all on by default. Over one, the client gets
 * LIMIT_EXCEEDED naming it (`extensions.limit`) and its value (`extensions.value`).
 */
export interface Limits {
  /** Bytes of an HTTP request body. */
  requestBodyBytes: number;
  /** Items of any one list argument (`ids`, `columns`), inline or in a variable. */
  idsPerList: number;
  /** Nesting of fields in an operation (fragments flattened, introspection not counted). */
  depth: number;
  aliases: number;
  /** Lexical tokens of a document: bounds parse time before anything else runs. */
  tokens: number;
  directives: number;
  /** Operations running at once on one WebSocket. */
  subscriptionsPerSocket: number;
  /** Open WebSockets of the server. */
  sockets: number;
  /** Bytes of one WebSocket message from a client. */
  wsPayloadBytes: number;
  /**
   * Bytes queued for a client that does not read; past it the socket is closed. With
   * `sockets`, it bounds the memory unsent messages may take: sockets × wsBufferBytes.
   */
  wsBufferBytes: number;
  /** Idle sockets are pinged this often; one that missed the last pong is closed. 0: never. */
  wsPingIntervalMs: number;
  /** Background `warm` jobs running at once. */
  concurrentJobs: number;
  /** Upstream cells (missing IDs × missing columns) one lookup of a query may fetch. */
  upstreamCost: number;
  /**
   * The upstream-cost limit of one `warm` call (IDs × columns, counted before the cache is
   * read). Higher than `upstreamCost`: warm is the way to fetch what a query may not.
   */
  warmCost: number;
}

export const DEFAULT_LIMITS: Limits = {
  requestBodyBytes: 1024 * 1024,
  idsPerList: 10_000,
  depth: 12,
  aliases: 50,
  tokens: 20_000,
  directives: 50,
  subscriptionsPerSocket: 50,
  sockets: 500,
  wsPayloadBytes: 1024 * 1024,
  wsBufferBytes: 4 * 1024 * 1024,
  wsPingIntervalMs: 30_000,
  concurrentJobs: 4,
  upstreamCost: 50_000,
  warmCost: 1_000_000,
};
