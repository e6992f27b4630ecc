/** What resolvers get as GraphQL context; the server builds it per request or subscription. */
import type { Cache, FetchProgress } from '../engine-types.js';
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

export interface SchemaContext {
  cache: Cache;
  loaders: Loaders;
  progress: ProgressFeed;
}
