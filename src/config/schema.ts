/**
 * The user-facing config (DESIGN §3) as a zod schema whose output is `CacheGateConfig` minus
 * `baseDir`. Objects are strict so a misspelt key is an error instead of a silently ignored
 * setting; cross-table rules (relations, names) live in the top-level superRefine.
 */
import { z } from 'zod';
import { accessKeys } from './access-schema.js';
import {
  type BatchConfig,
  type BreakerConfig,
  type ColumnType,
  DEFAULT_BATCH,
  DEFAULT_BREAKER,
  DEFAULT_FETCH_LOCKS,
  DEFAULT_LIMITS,
  DEFAULT_NOT_FOUND_TTL_MS,
  DEFAULT_STORE,
  type FetchLocksConfig,
  type Limits,
  type SourceConfig,
  type StoreLimits,
  TABLE_NAME,
  type TableConfig,
} from './types.js';

export const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
export const COLUMN_TYPES = [
  'String',
  'ID',
  'Int',
  'BigInt',
  'Float',
  'Boolean',
  'JSON',
  'DateTime',
  'Date',
] as const satisfies ColumnType[];

// Field names every generated type already has (`id`, `field(path:)`), and the prefix of the
// bookkeeping columns in the Parquet parts (DESIGN §5).
const RESERVED_FIELDS = new Set(['id', 'field']);
const RESERVED_PREFIX = '_cg_';
// Types and Query fields the generic part of the schema defines (DESIGN §4).
const RESERVED_TYPES = new Set(
  ['Query', 'Mutation', 'Subscription', 'Row', 'TableStats', 'FetchJob', 'FetchProgress', 'JobStatus'].concat(
    ['JSON', 'ID', 'String', 'Int', 'Float', 'Boolean', 'BigInt', 'DateTime', 'Date'],
  ),
);
const RESERVED_QUERY_FIELDS = new Set(['rows', 'cacheStats', 'job', 'fetchJobs']);

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "500ms" | "30s" | "10m" | "1h" | "7d" | milliseconds → milliseconds; undefined if not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!) : undefined;
}

/** "128MiB" | "1GB" | "512kb" | bytes → bytes (KB = 1000, KiB = 1024); undefined if not one. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
  return bytes > 0 ? bytes : undefined;
}

/** A number-or-string field turned into a number by `parse`, with `hint` as the one error message. */
function unitValue(parse: (v: string | number) => number | undefined, hint: string) {
  return z.union([z.number(), z.string()], { error: hint }).transform((v, ctx) => {
    const n = parse(v);
    if (n !== undefined) return n;
    ctx.addIssue({ code: 'custom', message: hint });
    return z.NEVER;
  });
}
const duration = unitValue(
  parseDuration,
  'expected a duration such as "500ms", "30s", "10m", "1h", "7d", or milliseconds',
);
const size = unitValue(parseSize, 'expected a positive size such as "128MiB", "1GB", or a number of bytes');

const positiveInt = z.number().int().positive();
const name = (what: string) => z.string().regex(GRAPHQL_NAME, `expected ${what} matching ${GRAPHQL_NAME}`);
const nonEmpty = z.string().min(1, 'expected a non-empty string');

const breakerObject = z
  .strictObject({
    failures: positiveInt.optional(),
    halfOpenAfter: duration.optional(),
    maxHalfOpenAfter: duration.optional(),
  })
  .transform(
    (b): BreakerConfig => ({
      failures: b.failures ?? DEFAULT_BREAKER.failures,
      halfOpenAfterMs: b.halfOpenAfter ?? DEFAULT_BREAKER.halfOpenAfterMs,
      maxHalfOpenAfterMs: b.maxHalfOpenAfter ?? DEFAULT_BREAKER.maxHalfOpenAfterMs,
    }),
  );
// Not z.union: a failed union reports only "Invalid input", hiding which breaker key is wrong.
const breakerSchema = z.unknown().transform((v, ctx): BreakerConfig | false => {
  if (v === false) return false;
  const parsed = breakerObject.safeParse(v);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const message =
      issue.code === 'invalid_type' && issue.path.length === 0
        ? 'expected false or { failures, halfOpenAfter, maxHalfOpenAfter }'
        : issue.message;
    ctx.addIssue({ code: 'custom', path: issue.path, message });
  }
  return z.NEVER;
});
// Keys every source kind accepts: the concurrency cap and circuit breaker of sources/guard.ts.
const guardFields = {
  maxConcurrency: positiveInt.optional(),
  breaker: breakerSchema.optional(),
};

const sqlSource = {
  ...guardFields,
  table: nonEmpty.optional(),
  schema: nonEmpty.optional(),
  query: nonEmpty.optional(),
  idColumn: nonEmpty.default('id'),
};
const postgresSource = z.strictObject({ kind: z.literal('postgres'), url: nonEmpty, ...sqlSource });
const pgliteSource = z.strictObject({
  kind: z.literal('pglite'),
  dataDir: nonEmpty.optional(),
  init: z.string().optional(),
  ...sqlSource,
});
const httpSource = z.strictObject({
  kind: z.literal('http'),
  url: nonEmpty,
  method: z.enum(['GET', 'POST']).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  rowsPath: nonEmpty.optional(),
  idField: nonEmpty.default('id'),
  timeout: duration.optional(),
  maxSize: positiveInt.optional(),
  healthUrl: nonEmpty.optional(),
  ...guardFields,
});
const moduleSource = z.strictObject({
  kind: z.literal('module'),
  path: nonEmpty,
  maxSize: positiveInt.optional(),
  ...guardFields,
});

const sourceSchema = z
  .discriminatedUnion('kind', [postgresSource, pgliteSource, httpSource, moduleSource], {
    error: 'expected a source with "kind": "postgres" | "pglite" | "http" | "module"',
  })
  .superRefine((s, ctx) => {
    if (
      (s.kind === 'postgres' || s.kind === 'pglite') &&
      (s.table === undefined) === (s.query === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: s.table === undefined ? [] : ['query'],
        message: `expected either "table" or "query" (taking the ID array as $1), not ${s.table === undefined ? 'neither' : 'both'}`,
      });
    }
  })
  .transform((s): SourceConfig => {
    if (s.kind !== 'http') return dropUndefined(s);
    const { timeout, ...rest } = s;
    return dropUndefined({ ...rest, timeoutMs: timeout });
  });

const batchSchema = z
  .strictObject({
    concurrency: positiveInt.optional(),
    maxSize: positiveInt.optional(),
    retries: z.number().int().nonnegative().optional(),
    timeout: duration.optional(),
    backoff: duration.optional(),
  })
  .transform(
    (b): BatchConfig =>
      dropUndefined({
        concurrency: b.concurrency ?? DEFAULT_BATCH.concurrency,
        maxSize: b.maxSize ?? DEFAULT_BATCH.maxSize,
        retries: b.retries ?? DEFAULT_BATCH.retries,
        timeoutMs: b.timeout ?? DEFAULT_BATCH.timeoutMs,
        backoffMs: b.backoff ?? DEFAULT_BATCH.backoffMs,
      }),
  );

const fieldNameIssue = (key: string): string | undefined => {
  if (!GRAPHQL_NAME.test(key)) return `expected a field name matching ${GRAPHQL_NAME}`;
  if (RESERVED_FIELDS.has(key)) return `"${key}" is defined on every type already; rename it`;
  if (key.startsWith(RESERVED_PREFIX))
    return `names starting with "${RESERVED_PREFIX}" are reserved for the cache`;
  // GraphQL keeps "__" names for introspection, and `__proto__` is not a safe key of a JS row.
  if (key.startsWith('__')) return 'names starting with "__" are reserved by GraphQL; rename it';
  return undefined;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// Zod skips refinements once a child has failed, and a failed record key skips its value; these
// run anyway (`when`), so one pass reports names, values and cross-references together.
const runAlways = { when: (p: { value: unknown }) => isRecord(p.value) };

/** A record whose keys are checked by `check` (message or undefined), reported at `path.key`. */
function recordOf<V extends z.ZodType>(value: V, check: (key: string) => string | undefined) {
  const record = z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      const message = check(key);
      if (message) ctx.addIssue({ code: 'custom', path: [key], message });
    }
  }, runAlways);
  // A parsed record drops a `__proto__` key without a word: it is reported from the raw input.
  return z.preprocess((raw, ctx) => {
    const message = isRecord(raw) && Object.hasOwn(raw, PROTO) ? check(PROTO) : undefined;
    if (message) ctx.addIssue({ code: 'custom', path: [PROTO], message, input: raw });
    return raw;
  }, record);
}

const PROTO = '__proto__';

const columnType = z.enum(COLUMN_TYPES, { error: `expected one of ${COLUMN_TYPES.join(' | ')}` });
/** Shown in GraphQL (GraphiQL's docs, introspection); `init` fills it from database comments. */
const description = z.string().trim().min(1, 'expected a non-empty description').optional();
// A column is its type, or `{ "type": ..., "description": ... }` to document it.
const columnSchema = z.union([columnType, z.strictObject({ type: columnType, description })], {
  error: (issue) => {
    const expected = `expected one of ${COLUMN_TYPES.map((t) => `"${t}"`).join(' | ')}`;
    if (typeof issue.input !== 'object' || issue.input === null)
      return `${expected}, or { "type": ..., "description": "..." }`;
    // An object: say what is wrong inside it (`type` or `description`), not just "invalid".
    const inner =
      'errors' in issue ? (issue.errors as { path: PropertyKey[]; message: string }[][])[1]?.[0] : undefined;
    return inner === undefined ? undefined : `${inner.path.map(String).join('.')}: ${inner.message}`;
  },
});

type ColumnEntry = ColumnType | { type: ColumnType; description?: string | undefined };

function columnTypes(columns: Record<string, ColumnEntry>): Record<string, ColumnType> {
  return Object.fromEntries(
    Object.entries(columns).map(([name, c]) => [name, typeof c === 'string' ? c : c.type]),
  );
}

function columnDescriptions(columns: Record<string, ColumnEntry>): Record<string, string> | undefined {
  const described = Object.entries(columns).flatMap(([name, c]) =>
    typeof c === 'object' && c.description !== undefined ? [[name, c.description] as const] : [],
  );
  return described.length === 0 ? undefined : Object.fromEntries(described);
}

const tableSchema = z
  .strictObject({
    typeName: name('a GraphQL type name').optional(),
    description,
    source: sourceSchema.optional(),
    columns: recordOf(columnSchema, fieldNameIssue).optional(),
    relations: recordOf(
      z.strictObject({ table: nonEmpty, column: nonEmpty, description }),
      fieldNameIssue,
    ).optional(),
    ttl: duration.optional(),
    notFoundTtl: duration.optional(),
    batch: batchSchema.optional(),
  })
  .transform(
    (t): TableConfig =>
      dropUndefined({
        typeName: t.typeName,
        description: t.description,
        source: t.source,
        columns: t.columns === undefined ? undefined : columnTypes(t.columns),
        columnDescriptions: t.columns === undefined ? undefined : columnDescriptions(t.columns),
        relations:
          t.relations === undefined
            ? undefined
            : Object.fromEntries(Object.entries(t.relations).map(([k, r]) => [k, dropUndefined(r)])),
        ttlMs: t.ttl,
        notFoundTtlMs: t.notFoundTtl ?? DEFAULT_NOT_FOUND_TTL_MS,
        batch: t.batch ?? { ...DEFAULT_BATCH },
      }),
  );

const storeSchema = z
  .strictObject({
    maxPartBytes: size.optional(),
    maxPartRows: positiveInt.optional(),
    memoryBudgetBytes: size.optional(),
    writeBufferBytes: size.optional(),
    flushRows: positiveInt.optional(),
    flushIntervalMs: positiveInt.optional(),
    compactDeltas: positiveInt.optional(),
    compactDeltaRows: positiveInt.optional(),
  })
  .transform(
    (s): StoreLimits => ({
      maxPartBytes: s.maxPartBytes ?? DEFAULT_STORE.maxPartBytes,
      maxPartRows: s.maxPartRows ?? DEFAULT_STORE.maxPartRows,
      memoryBudgetBytes: s.memoryBudgetBytes ?? DEFAULT_STORE.memoryBudgetBytes,
      writeBufferBytes: s.writeBufferBytes ?? DEFAULT_STORE.writeBufferBytes,
      flushRows: s.flushRows ?? DEFAULT_STORE.flushRows,
      flushIntervalMs: s.flushIntervalMs ?? DEFAULT_STORE.flushIntervalMs,
      compactDeltas: s.compactDeltas ?? DEFAULT_STORE.compactDeltas,
      compactDeltaRows: s.compactDeltaRows ?? DEFAULT_STORE.compactDeltaRows,
    }),
  );

const fetchLocksSchema = z
  .strictObject({
    redisUrl: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1 to 64 letters, digits, "_", "." or "-"')
      .optional(),
    ttl: duration.optional(),
    maxWait: duration.optional(),
  })
  .transform(
    ({ ttl, maxWait, ...rest }): FetchLocksConfig => ({
      ...dropUndefined(rest),
      ttlMs: ttl ?? DEFAULT_FETCH_LOCKS.ttlMs,
      maxWaitMs: maxWait ?? DEFAULT_FETCH_LOCKS.maxWaitMs,
    }),
  )
  .refine((f) => f.ttlMs >= 1_000, { message: 'expected a ttl of at least 1s', path: ['ttl'] });

const limitsSchema = z
  .strictObject({
    requestBodyBytes: size.optional(),
    idsPerList: positiveInt.optional(),
    depth: positiveInt.optional(),
    aliases: positiveInt.optional(),
    tokens: positiveInt.optional(),
    directives: positiveInt.optional(),
    subscriptionsPerSocket: positiveInt.optional(),
    sockets: positiveInt.optional(),
    wsPayloadBytes: size.optional(),
    wsBufferBytes: size.optional(),
    wsPingInterval: duration.optional(),
    concurrentJobs: positiveInt.optional(),
    upstreamCost: positiveInt.optional(),
    warmCost: positiveInt.optional(),
  })
  .transform(({ wsPingInterval, ...rest }): Limits => {
    const set = dropUndefined({ ...rest, wsPingIntervalMs: wsPingInterval });
    return { ...DEFAULT_LIMITS, ...set };
  });

/**
 * Rules spanning tables: relation targets, and GraphQL names that would collide. Runs on
 * values that may have failed validation, so it reads them defensively.
 */
function checkAcrossTables(tables: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['tables', ...path], message });
  const typeOwners = new Map<string, string>();
  const queryOwners = new Map<string, string>();
  const claimQueryField = (field: string, table: string, path: PropertyKey[], why: string) => {
    const other = queryOwners.get(field);
    if (RESERVED_QUERY_FIELDS.has(field))
      issue(path, `${why} "Query.${field}", which is built in; rename it`);
    else if (other !== undefined)
      issue(path, `${why} "Query.${field}", which table "${other}" already gives; rename one`);
    queryOwners.set(field, table);
  };
  for (const [table, t] of Object.entries(tables)) {
    if (!isRecord(t)) continue;
    claimQueryField(table, table, [table], 'the table name gives');
    const typeName = t['typeName'];
    if (typeof typeName === 'string' && GRAPHQL_NAME.test(typeName)) {
      const owner = typeOwners.get(typeName);
      if (RESERVED_TYPES.has(typeName))
        issue([table, 'typeName'], `"${typeName}" is a built-in type; rename it`);
      else if (owner !== undefined)
        issue([table, 'typeName'], `"${typeName}" is already the type of table "${owner}"`);
      typeOwners.set(typeName, table);
      const single = typeName.charAt(0).toLowerCase() + typeName.slice(1);
      claimQueryField(single, table, [table, 'typeName'], `typeName "${typeName}" gives`);
    }
    const columns = isRecord(t['columns']) ? t['columns'] : {};
    const relations = isRecord(t['relations']) ? t['relations'] : {};
    for (const [rel, r] of Object.entries(relations)) {
      if (!isRecord(r)) continue;
      if (Object.hasOwn(columns, rel))
        issue([table, 'relations', rel], `"${rel}" is also a column; rename one`);
      const { table: target, column } = r;
      if (typeof target === 'string' && !Object.hasOwn(tables, target)) {
        const known = Object.keys(tables).join(', ');
        issue([table, 'relations', rel, 'table'], `expected a configured table (${known}), got "${target}"`);
      }
      if (typeof column === 'string' && column !== 'id' && !Object.hasOwn(columns, column)) {
        const known = ['id', ...Object.keys(columns)].join(', ');
        issue(
          [table, 'relations', rel, 'column'],
          `expected a column of table "${table}" holding the related ID (${known}), got "${column}"`,
        );
      }
    }
  }
}

const tableNameIssue = (key: string) =>
  TABLE_NAME.test(key) ? undefined : `expected a table name matching ${TABLE_NAME}`;

/** The whole config file; `baseDir` and path resolution are added by `parseConfig`. */
export const configSchema = z
  .strictObject({
    cacheDir: nonEmpty.default('.cachegate'),
    tables: recordOf(tableSchema, tableNameIssue),
    store: storeSchema.default(() => ({ ...DEFAULT_STORE })),
    ...accessKeys,
    limits: limitsSchema.default(() => ({ ...DEFAULT_LIMITS })),
    fetchLocks: fetchLocksSchema.optional(),
  })
  .superRefine((c, ctx) => checkAcrossTables(c.tables, ctx), {
    when: (p) => isRecord(p.value) && isRecord(p.value['tables']),
  });

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** `T` with keys that may hold undefined made optional-and-absent (exactOptionalPropertyTypes). */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops keys whose value is undefined: zod's optional output is `T | undefined`, ours is absent. */
function dropUndefined<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}
