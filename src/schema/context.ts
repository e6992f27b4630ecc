/** What resolvers get as GraphQL context; the server builds it per request or subscription. */
import type { Cache, FetchProgress } from '../engine/types.js';
import type { Loaders } from '../loaders/index.js';

export interface ProgressFilter {
  jobId?: string | undefined;
  table?: string | undefined;
}

/** Progress events as a stream, whatever carries them (in-process or Redis). */
export interface ProgressFeed {
  /**
   * Events matching the filter. With a `jobId`, the job's current state comes first (its final
   * state, then the end, if it has finished already).
   */
  events(filter: ProgressFilter): AsyncIterable<FetchProgress>;
}

/** Starts `warm` jobs within the server's limits (concurrent jobs, upstream cost); throws LIMIT_EXCEEDED. */
export interface WarmGate {
  warm(table: string, ids: readonly string[], columns?: readonly string[]): FetchProgress;
}

export interface SchemaContext {
  cache: Cache;
  /** Used by `warm` when present; a bare `cache.warm` otherwise (library and tests). */
  warmGate?: WarmGate | undefined;
  loaders: Loaders;
  progress: ProgressFeed;
}
