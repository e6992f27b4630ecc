/**
 * One DataLoader per table per request. Keys are an ID plus the columns wanted for it; every
 * key asked for in the same tick becomes ONE `cache.lookup` of the distinct IDs × the union of
 * their columns, so a query costs one lookup per table however many fields and entities it has.
 */
import { trace } from '@opentelemetry/api';
import DataLoader from 'dataloader';
import { idProblem } from '../engine/input.js';
import type { Cache, GetDataOptions, RowValues } from '../engine/types.js';
import { BadInputError, type CacheGateError, ColumnNotFoundError, DataNotFoundError } from '../errors.js';

export interface EntityKey {
  id: string;
  /** Column names or dot paths, as the cache takes them. */
  columns: readonly string[];
}

/** What a key resolves to: the row's values for (at least) the columns of the key. */
export interface EntityRow {
  table: string;
  id: string;
  values: RowValues;
  /** Cells of this row that could not be read (JSON_PARSE_ERROR). */
  cellErrors: ReadonlyMap<string, CacheGateError> | undefined;
  /** Columns of the batch that do not exist; shared by every row of the batch. */
  columnErrors: ReadonlyMap<string, CacheGateError>;
}

export interface EntityLoaderOptions {
  /** Upstream work one lookup may cause (missing IDs × missing columns); unlimited if absent. */
  maxUpstreamCost?: number | undefined;
  /** Called after every lookup, for metrics. */
  onLookup?: ((table: string, ids: number, columns: number, ms: number) => void) | undefined;
  /** Receives each batch's work as it starts (`Loaders.idle`). */
  onBatch?: ((work: Promise<unknown>) => void) | undefined;
}

export type EntityLoader = DataLoader<EntityKey, EntityRow, string>;

export function entityKey(key: EntityKey): string {
  return `${key.id}\u0000${key.columns.join('\u0001')}`;
}

function rootColumn(path: string): string {
  const dot = path.indexOf('.');
  return dot === -1 ? path : path.slice(0, dot);
}

/** The requested strings a column-level error is about; empty when it is not one. */
function badColumns(error: unknown, columns: readonly string[]): string[] {
  if (!(error instanceof ColumnNotFoundError || error instanceof BadInputError)) return [];
  const column = error.details['column'];
  if (typeof column !== 'string') return [];
  // ColumnNotFound: the column and every path into it. BadInput names a column that dot paths
  // cannot enter: only those paths are bad, the column itself is fine.
  return columns.filter(
    (c) => rootColumn(c) === column && (error instanceof ColumnNotFoundError || c !== column),
  );
}

export function createEntityLoader(
  cache: Cache,
  table: string,
  options: EntityLoaderOptions = {},
): EntityLoader {
  const lookupOptions: GetDataOptions = {};
  const probe = Object.keys(cache.config.tables[table]?.columns ?? {})[0];
  if (options.maxUpstreamCost !== undefined) lookupOptions.maxUpstreamCost = options.maxUpstreamCost;

  async function batch(keys: readonly EntityKey[]): Promise<Array<EntityRow | Error>> {
    // A bad ID (a NUL byte, an unpaired surrogate) fails its own entries, not the batch.
    const badIds = new Map<string, BadInputError>();
    for (const { id } of keys) {
      const problem = badIds.has(id) ? undefined : idProblem(id);
      if (problem !== undefined)
        badIds.set(id, new BadInputError(`Id ${JSON.stringify(id)} ${problem}.`, { table, id }));
    }
    const ids = [...new Set(keys.map((k) => k.id))].filter((id) => !badIds.has(id));
    if (ids.length === 0) return keys.map((k) => badIds.get(k.id)!);
    let columns = [...new Set(keys.flatMap((k) => k.columns))];
    // Only IDs asked for (`{ movies(ids) { id } }`): the engine cannot fetch zero columns of an
    // uncached row, so one configured column stands in to learn which IDs exist.
    if (columns.length === 0 && probe !== undefined) columns = [probe];
    const columnErrors = new Map<string, CacheGateError>();
    const started = performance.now();
    let result: Awaited<ReturnType<Cache['lookup']>>;
    for (;;) {
      try {
        result = await cache.lookup(table, ids, columns, lookupOptions);
        break;
      } catch (error) {
        // One unknown column (a typo in `field(path:)`) or one dot path into a non-JSON column
        // fails only the fields that asked for it: drop those and look the rest up again.
        // Anything else fails the whole batch, so every key gets that error.
        const bad = badColumns(error, columns);
        if (bad.length === 0) throw error;
        for (const c of bad) columnErrors.set(c, error as CacheGateError);
        columns = columns.filter((c) => !columnErrors.has(c));
      }
    }
    options.onLookup?.(table, ids.length, columns.length, performance.now() - started);
    return keys.map((key): EntityRow | Error => {
      const error = badIds.get(key.id) ?? result.errors.get(key.id);
      if (error !== undefined) return error;
      const values = result.rows.get(key.id);
      if (values === undefined) return new DataNotFoundError(table, [key.id]);
      return { table, id: key.id, values, cellErrors: result.cellErrors.get(key.id), columnErrors };
    });
  }

  const tracked = (keys: readonly EntityKey[]): Promise<Array<EntityRow | Error>> => {
    // A span per loader batch (no-op without a tracing SDK): many fields, one lookup.
    const work = trace.getTracer('cachegate').startActiveSpan('cachegate.loader.batch', async (span) => {
      span.setAttribute('cachegate.table', table);
      span.setAttribute('cachegate.keys', keys.length);
      try {
        return await batch(keys);
      } finally {
        span.end();
      }
    });
    options.onBatch?.(work);
    return work;
  };
  return new DataLoader<EntityKey, EntityRow, string>(tracked, { cacheKeyFn: entityKey });
}
