/**
 * The cache engine as one object: cache store + fetch coordinator + sources + JSON paths
 * (DESIGN §1, §5). Knows nothing of GraphQL; the server and library users both call this.
 */
import { setMaxListeners } from 'node:events';
import type pl from 'nodejs-polars';
import { buildResultFrame, buildResultFromRecords } from '../cache/result-frame.js';
import { CacheStore } from '../cache/store.js';
import type { TableStore } from '../cache/table-store.js';
import { parseConfig } from '../config/load.js';
import type { CacheGateConfig, TableConfig } from '../config/types.js';
import {
  BadInputError,
  type CacheGateError,
  ColumnNotFoundError,
  DataNotFoundError,
  LimitExceededError,
  UpstreamFailedError,
} from '../errors.js';
import { callerToken } from '../fetch/batch-trace.js';
import { Coordinator, type FetchRequest, type UpstreamBatchReport } from '../fetch/coordinator.js';
import type { FetchLockStatus, FetchLocks } from '../fetch/fetch-locks.js';
import { Jobs } from '../fetch/jobs.js';
import { traceLookup } from '../fetch/lookup-trace.js';
import { InFlight } from '../fetch/single-flight.js';
import type { ParsedPath } from '../json/json-path.js';
import { createSource, type GuardedSource, type SourceHealth } from '../sources/index.js';
import type { Fetcher } from '../sources/types.js';
import { distinct, normalizeIds, parseColumns } from './input.js';
import { fetchLocksFor } from './replica-locks.js';
import { storeOptions, tableConfigOf } from './table-policy.js';
import type {
  Cache,
  CloseOptions,
  FetchProgress,
  GetDataOptions,
  LookupResult,
  RowValues,
  TableStats,
} from './types.js';
import { declaredTypes, outputColumns, rowValues } from './values.js';
import { startWarm } from './warm.js';
import { survey } from './windows.js';

export interface CacheOptions {
  /** Test seam passed to every table store: runs before a version is committed. */
  beforeCommit?: () => void | Promise<void>;
  /** Errors of background flushes and compactions; a process warning by default. */
  onBackgroundError?: (e: Error) => void;
  /** Cross-replica fetch locks to use instead of the config's `fetchLocks` (the caller closes them). */
  fetchLocks?: FetchLocks;
}

/** What a library user may pass: a validated config, or a raw one (`{ cacheDir, tables? }`). */
export type CacheInput =
  | CacheGateConfig
  | ({ cacheDir?: string; tables?: unknown; store?: unknown } & Record<string, unknown>);

interface Counters {
  hits: number;
  misses: number;
  fetches: number;
  lookups: number;
}

function isValidated(input: CacheInput): input is CacheGateConfig {
  return (
    typeof input['baseDir'] === 'string' && typeof input['store'] === 'object' && input['store'] !== null
  );
}

export function createCache(input: CacheInput, options: CacheOptions = {}): Cache {
  const config = isValidated(input) ? input : parseConfig({ tables: {}, ...input }, process.cwd());
  return new Engine(config, options);
}

class Engine implements Cache {
  readonly jobs = new Jobs();
  private readonly store: CacheStore;
  private readonly coordinator: Coordinator;
  private readonly sources = new Map<string, GuardedSource>();
  private readonly counters = new Map<string, Counters>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly batchListeners = new Set<(report: UpstreamBatchReport) => void>();
  private readonly abort = new AbortController();
  private readonly locks: FetchLocks;

  constructor(
    readonly config: CacheGateConfig,
    private readonly options: CacheOptions,
  ) {
    this.store = new CacheStore(config.cacheDir, config.store);
    // Every running attempt listens on this one signal; dozens at once are normal, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.locks = options.fetchLocks ?? fetchLocksFor(config);
    this.coordinator = new Coordinator(this.jobs, new InFlight(), this.locks);
  }

  tables(): string[] {
    return Object.keys(this.config.tables);
  }

  private tableConfig(table: string, fetcher: Fetcher | undefined): TableConfig {
    return tableConfigOf(this.config, table, {
      withFetcher: fetcher !== undefined,
      opened: this.store.has(table),
    });
  }

  private tableStore(table: string, cfg: TableConfig): TableStore {
    // Options are built once, when the table is first used, not on every lookup.
    return this.store.table(table, () =>
      storeOptions(cfg, {
        beforeCommit: this.options.beforeCommit,
        onBackgroundError: this.options.onBackgroundError,
      }),
    );
  }

  private source(table: string, cfg: TableConfig): GuardedSource | undefined {
    if (!cfg.source) return undefined;
    let s = this.sources.get(table);
    if (!s) {
      s = createSource(cfg.source, table, this.config.baseDir);
      this.sources.set(table, s);
    }
    return s;
  }

  private count(table: string): Counters {
    let c = this.counters.get(table);
    if (!c) {
      c = { hits: 0, misses: 0, fetches: 0, lookups: 0 };
      this.counters.set(table, c);
    }
    return c;
  }

  /** Checks table and paths up front, so a bad request fails before any I/O. */
  private prepare(table: string, columns: readonly string[], fetcher: Fetcher | undefined) {
    const cfg = this.tableConfig(table, fetcher);
    const paths = parseColumns(columns);
    const base = distinct(paths.map((p) => p.column).filter((c) => c !== 'id'));
    if (cfg.columns) {
      const known = Object.keys(cfg.columns);
      for (const c of base)
        if (!Object.hasOwn(cfg.columns, c)) throw new ColumnNotFoundError(table, c, known);
      for (const p of paths) {
        if (p.steps.length > 0 && p.column !== 'id' && cfg.columns[p.column] !== 'JSON') {
          throw notJson(table, p, cfg.columns[p.column]!);
        }
      }
    }
    const store = this.tableStore(table, cfg);
    const src = fetcher ? undefined : this.source(table, cfg);
    const fetch = fetcher ?? src?.fetch.bind(src);
    return { cfg, paths, base, store, fetch, maxBatchSize: fetcher ? undefined : src?.maxBatchSize };
  }

  /** The shared core of `lookup` and `getData`: found rows (polars) and per-ID failures. */
  private async resolve(table: string, ids: string[], columns: readonly string[], opts: GetDataOptions) {
    const p = this.prepare(table, columns, opts.fetcher);
    const counters = this.count(table);
    counters.lookups++;
    const look = (some: readonly string[]) => p.store.lookup(some, p.base);
    // A large request is looked up and fetched a window at a time (windows.ts).
    const s = await traceLookup(table, ids.length, () =>
      survey(ids, look, this.batchLimit(p), { keep: true }),
    );
    let res = s.found;
    const errors = new Map<string, CacheGateError>();
    let refused: LimitExceededError | undefined;
    let jobId: string | undefined;
    counters.misses += s.missing;
    counters.hits += ids.length - s.missing - s.notFound;
    if (s.missing > 0) {
      if (!p.fetch) {
        throw new UpstreamFailedError(
          `Table "${table}" has no source configured and no fetcher was given, so ${s.missing} missing ids cannot be fetched.`,
          { table },
        );
      }
      if (opts.maxUpstreamCost !== undefined && s.cells > opts.maxUpstreamCost) {
        // Only the missing IDs are refused: cached ones are served, whatever the request's size.
        refused = new LimitExceededError(
          `This request would fetch ${s.cells} cells (${s.missing} missing ids × their missing columns) from the upstream of "${table}"; the limit "upstreamCost" is ${opts.maxUpstreamCost}. Start a background fetch with the warm mutation, then query the cached rows.`,
          { table, limit: 'upstreamCost', value: opts.maxUpstreamCost, actual: s.cells },
        );
      } else {
        const outcome = await this.track(this.fetchMissing(table, p, s.request, opts).done);
        jobId = outcome.jobId;
        for (const [id, e] of outcome.failures) errors.set(id, e);
        if (opts.durable) await p.store.flush();
        res = undefined;
      }
    }
    res ??= await look(ids);
    if (refused) for (const id of res.missing.keys()) errors.set(id, refused);
    const notFound = new Set(res.notFound);
    for (const id of res.missing.keys()) {
      // Still lacking a column after the fetch: its batch failed here, or in a concurrent fetch
      // this call waited for. Never serve the gap as if the upstream had sent null.
      if (!errors.has(id) && !notFound.has(id)) {
        errors.set(
          id,
          new UpstreamFailedError(
            `Id ${JSON.stringify(id)} of table "${table}" could not be fetched; retry later.`,
            {
              table,
              id,
            },
          ),
        );
      }
    }
    const missingIds = res.notFound.filter((id) => !errors.has(id));
    for (const id of missingIds) errors.set(id, new DataNotFoundError(table, [id]));
    return { found: res, errors, jobId, paths: p.paths, cfg: p.cfg };
  }

  private fetchMissing(
    table: string,
    p: ReturnType<Engine['prepare']>,
    missing: FetchRequest['missing'],
    opts: GetDataOptions,
    jobId?: string,
    known?: FetchRequest['known'],
  ) {
    return this.coordinator.start({
      table,
      missing,
      fetcher: p.fetch!,
      maxBatchSize: this.batchLimit(p),
      policy: p.cfg.batch,
      // Each batch goes to the write buffer as it arrives (visible at once); a refused one fails alone.
      write: (batch) => p.store.write(batch),
      // Another replica waiting for these IDs re-reads the cache once they are in a delta.
      replica: {
        durable: () => p.store.flushed(),
        stillMissing: async (ids, cols) => [...(await p.store.lookup(ids, cols)).missing.keys()],
      },
      onProgress: opts.onProgress,
      onAttempt: () => {
        this.count(table).fetches++;
      },
      onBatch: this.batchListeners.size === 0 ? undefined : (r) => this.emitBatch(r),
      caller: callerToken(),
      signal: this.abort.signal,
      jobId,
      known,
    });
  }

  /** The most IDs one upstream call may take: the table's limit or its source's. */
  private batchLimit(p: ReturnType<Engine['prepare']>): number | undefined {
    return minDefined(p.cfg.batch.maxSize, p.maxBatchSize);
  }

  /** Every upstream batch once it settled (its latency, attempts, outcome); for metrics. */
  onUpstreamBatch(listener: (report: UpstreamBatchReport) => void): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  private emitBatch(report: UpstreamBatchReport): void {
    for (const listener of this.batchListeners) listener(report);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    return promise.finally(() => this.running.delete(promise));
  }

  async lookup(
    table: string,
    ids: readonly string[],
    columns: readonly string[],
    options: GetDataOptions = {},
  ): Promise<LookupResult> {
    const unique = distinct(normalizeIds(ids));
    const r = await this.resolve(table, unique, columns, options);
    const rows = new Map<string, RowValues>();
    const cellErrors = new Map<string, Map<string, CacheGateError>>();
    const types = declaredTypes(r.cfg, r.paths);
    for (const rec of r.found.records()) {
      const id = rec['id'] as string;
      rows.set(id, rowValues(table, id, rec, r.paths, types, cellErrors));
    }
    const result: LookupResult = { rows, errors: r.errors, cellErrors };
    if (r.jobId) result.jobId = r.jobId;
    return result;
  }

  async getData(
    table: string,
    ids: ReadonlyArray<string | number>,
    columns: readonly string[],
    options: GetDataOptions = {},
  ): Promise<pl.DataFrame> {
    const unique = distinct(normalizeIds(ids));
    const r = await this.resolve(table, unique, columns, options);
    throwFirst(table, r.errors);
    const outputs = outputColumns(table, r.paths);
    const { found } = r;
    if (found.small) return buildResultFromRecords(found.records(), unique, outputs, found.types);
    // The store's ID frame is reused only if it holds this very list (same array, same order).
    const idFrame = found.ids?.list === unique ? found.ids.frame : undefined;
    return (await buildResultFrame(found.frame(), unique, outputs, idFrame)).frame;
  }

  warm(table: string, ids: readonly string[], columns?: readonly string[]): FetchProgress {
    const cfg = this.tableConfig(table, undefined);
    const cols = columns && columns.length > 0 ? [...columns] : Object.keys(cfg.columns ?? {});
    if (cols.length === 0) {
      throw new BadInputError(`Table "${table}" declares no columns: name the columns to warm.`, { table });
    }
    const p = this.prepare(table, cols, undefined);
    const unique = distinct(normalizeIds(ids));
    const { first, work } = startWarm({
      jobs: this.jobs,
      table,
      ids: unique,
      survey: () => survey(unique, (some) => p.store.lookup(some, p.base), this.batchLimit(p)),
      lookup: () => p.store.lookup(unique, p.base),
      canFetch: p.fetch !== undefined,
      fetchMissing: (missing, jobId, known) => this.fetchMissing(table, p, missing, {}, jobId, known),
    });
    void this.track(work);
    return first;
  }

  async invalidate(table: string, ids?: readonly string[]): Promise<number> {
    const cfg = this.tableConfig(table, undefined);
    return this.tableStore(table, cfg).invalidate(ids ? distinct(normalizeIds(ids)) : undefined);
  }

  async stats(table?: string): Promise<TableStats[]> {
    const names = table === undefined ? this.tables() : [table];
    const out: TableStats[] = [];
    for (const name of names) {
      const s = await this.tableStore(name, this.tableConfig(name, undefined)).stats();
      out.push({ table: name, ...s, ...this.count(name) });
    }
    return out;
  }

  async compact(table?: string): Promise<void> {
    for (const name of table === undefined ? this.tables() : [table]) {
      await this.tableStore(name, this.tableConfig(name, undefined)).compact();
    }
  }

  fetchLockStatus(): FetchLockStatus {
    return this.locks.status();
  }

  async health(timeoutMs = DEFAULT_HEALTH_TIMEOUT_MS): Promise<SourceHealth[]> {
    const checks: Array<Promise<SourceHealth>> = [];
    for (const [table, cfg] of Object.entries(this.config.tables)) {
      const src = this.source(table, cfg);
      if (src) checks.push(src.health(timeoutMs));
    }
    return Promise.all(checks);
  }

  async close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
    // Subscribers hear why their job ended before anything is torn down.
    this.jobs.interruptAll(
      options.reason ?? 'the cache was closed before this job finished; run it again (warm)',
    );
    this.abort.abort(new Error('cache closed'));
    // Bounded: an upstream call that ignores its abort signal must not keep close() waiting.
    await within(Promise.allSettled([...this.running]), graceMs);
    // Rows still in the write buffer are flushed, so a graceful stop loses nothing fetched.
    await within(this.store.close(), graceMs);
    await within(Promise.allSettled([...this.sources.values()].map((s) => s.close?.())), graceMs);
    this.sources.clear();
    if (this.options.fetchLocks === undefined) await within(this.locks.close(), graceMs);
  }
}

const DEFAULT_HEALTH_TIMEOUT_MS = 2_000;
const DEFAULT_CLOSE_GRACE_MS = 5_000;

/** Waits for `p`, but no longer than `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([p, late]);
  clearTimeout(timer);
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function notJson(table: string, p: ParsedPath, type: string): BadInputError {
  return new BadInputError(
    `"${p.raw}" goes into column "${p.column}" of table "${table}", which is ${type}, not JSON: dot paths only reach into JSON columns.`,
    { table, column: p.column },
  );
}

/** getData answers all or nothing: the most actionable error wins, with every affected ID. */
function throwFirst(table: string, errors: Map<string, CacheGateError>): void {
  if (errors.size === 0) return;
  const all = [...errors.values()];
  const upstream = all.find((e) => e.code !== 'DATA_NOT_FOUND');
  if (upstream) throw upstream;
  throw new DataNotFoundError(table, [...errors.keys()]);
}
