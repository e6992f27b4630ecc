/** The per-request GraphQL context: fresh loaders for every HTTP request and every subscription. */
import type { Logger } from 'pino';
import type { Cache } from '../engine/types.js';
import { createLoaders, type EntityLoaderOptions } from '../loaders/index.js';
import type { ProgressFeed, SchemaContext, WarmGate } from '../schema/index.js';
import { OPEN_PRINCIPAL, type Principal } from './auth/principal.js';

export interface ServerContext extends SchemaContext {
  requestId: string;
  /** The app's logger; pass `reqId: requestId` with what is logged. */
  logger: Logger;
  /** Who is asking; root fields check its role (`auth/guard-fields.ts`). */
  principal: Principal;
}

export interface ContextDeps {
  cache: Cache;
  progress: ProgressFeed;
  logger: Logger;
  loaderOptions: EntityLoaderOptions;
  warmGate?: WarmGate;
}

export function createServerContext(
  deps: ContextDeps,
  requestId: string,
  principal: Principal = OPEN_PRINCIPAL,
): ServerContext {
  return {
    principal,
    cache: deps.cache,
    loaders: createLoaders(deps.cache, deps.loaderOptions),
    progress: deps.progress,
    warmGate: deps.warmGate,
    requestId,
    logger: deps.logger,
  };
}
