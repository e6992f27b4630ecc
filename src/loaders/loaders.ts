/** The per-request set of entity loaders: created lazily, one per table. */
import type { Cache } from '../engine/types.js';
import { TableNotFoundError } from '../errors.js';
import { createEntityLoader, type EntityLoader, type EntityLoaderOptions } from './entity-loader.js';

export interface Loaders {
  /** The request's loader of `table`; throws TableNotFoundError for an unconfigured table. */
  get(table: string): EntityLoader;
  /** Forgets what this request loaded from `table` (after `invalidate`), or from every table. */
  clear(table?: string): void;
  /**
   * Resolves once this request's lookups have settled and no new one was started meanwhile
   * (nested fields, such as relations, load after their parent), so `cacheStats` in the same
   * request counts them.
   */
  idle(): Promise<void>;
}

/**
 * Throws TableNotFoundError unless `table` is configured: client input names only configured
 * tables (the engine also serves unconfigured ones found on disk to library callers).
 */
export function requireTable(cache: Cache, table: string): void {
  const known = cache.tables();
  if (!known.includes(table)) throw new TableNotFoundError(table, known);
}

export function createLoaders(cache: Cache, options: EntityLoaderOptions = {}): Loaders {
  const loaders = new Map<string, EntityLoader>();
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    pending.add(work);
    const forget = () => pending.delete(work);
    work.then(forget, forget);
  };
  return {
    get(table) {
      let loader = loaders.get(table);
      if (loader === undefined) {
        requireTable(cache, table);
        loader = createEntityLoader(cache, table, { ...options, onBatch: track });
        loaders.set(table, loader);
      }
      return loader;
    },
    clear(table) {
      if (table === undefined) for (const loader of loaders.values()) loader.clearAll();
      else loaders.get(table)?.clearAll();
    },
    async idle() {
      for (;;) {
        // A macrotask turn: DataLoader dispatches its batches from microtasks and nextTick, and
        // a settled parent field schedules its children's loads the same way.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (pending.size === 0) return;
        await Promise.allSettled([...pending]);
      }
    },
  };
}
