/** The per-request GraphQL context: fresh loaders for every HTTP request and every subscription. */
import type { Logger } from 'pino';
import type { Cache } from '../engine-types.js';
import { createLoaders, type EntityLoaderOptions } from '../loaders/index.js';
import type { ProgressFeed, SchemaContext, WarmGate } from '../schema/index.js';

export interface ServerContext extends SchemaContext {
  requestId: string;
  /** The app's logger; pass `reqId: requestId` with what is logged. */
  logger: Logger;
}

export interface ContextDeps {
  cache: Cache;
  progress: ProgressFeed;
  logger: Logger;
  loaderOptions: EntityLoaderOptions;
  warmGate?: WarmGate;
}

export function createServerContext(deps: ContextDeps, requestId: string): ServerContext {
  return {
    cache: deps.cache,
    loaders: createLoaders(deps.cache, deps.loaderOptions),
    progress: deps.progress,
    warmGate: deps.warmGate,
    requestId,
    logger: deps.logger,
  };
}
