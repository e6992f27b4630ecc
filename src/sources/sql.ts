/**
 * The SQL code path shared by the postgres and pglite sources: query building, column checks
 * and value normalisation. It talks to the database only through a `SqlQuery` adapter, so it
 * imports neither `pg` nor PGlite.
 */
import { ColumnNotFoundError, isCacheGateError, UpstreamFailedError } from '../errors.js';
import { JsonText } from '../json/json-text.js';
import type { FetchContext, Source, SourceRow } from './types.js';

export interface SqlField {
  name: string;
  dataTypeID: number;
}

export interface SqlQueryResult {
  rows: Record<string, unknown>[];
  fields?: SqlField[];
}

/** Runs one parameterised statement; rejects promptly when `signal` aborts. */
export type SqlQuery = (text: string, params: unknown[], signal?: AbortSignal) => Promise<SqlQueryResult>;

export interface SqlSourceOptions {
  /** The cachegate table name, used in error messages. */
  tableName: string;
  /** Upstream table (table mode); ignored when `query` is set. */
  table: string;
  schema?: string | undefined;
  /** Custom query taking the ID array as `$1`. */
  query?: string | undefined;
  idColumn: string;
  run: SqlQuery;
  /** Names the upstream in messages, e.g. `PostgreSQL at db:5432/app` (never with a password). */
  upstream: string;
  /** Removes secrets (the password, the URL) from driver messages before they reach a client. */
  scrub?: (message: string) => string;
  close?: () => Promise<void>;
}

/**
 * One array parameter carries all IDs, so the 65,535 bind-parameter limit does not apply; this
 * bound only keeps a single statement (and the rows it returns) to a reasonable size.
 */
export const SQL_MAX_BATCH_SIZE = 50_000;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * How the ID column is compared with the IDs (always text in the cache). An integer or uuid key
 * is compared in its own type, so the upstream's index serves the lookup: `id::text = ANY(…)`
 * cannot use it, and scanned a 300,000-row table for every batch (148 ms per 1,000 IDs). Only
 * IDs in the key's canonical text are sent (`7`, not `007` or `+7`), so an ID matches exactly
 * the row whose key reads back as it, as with the text comparison; others cannot exist.
 */
export type KeyKind = 'text' | 'int' | 'uuid';

const INT_TYPES: Readonly<Record<string, true>> = { int2: true, int4: true, int8: true };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const CANONICAL_INT = /^(0|-?[1-9]\d{0,18})$/;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function keyKindOf(udtName: string | undefined): KeyKind {
  if (udtName === undefined) return 'text';
  if (INT_TYPES[udtName]) return 'int';
  return udtName === 'uuid' ? 'uuid' : 'text';
}

/** The IDs a key of this kind can hold, in its canonical text (see `KeyKind`). */
function keyIds(ids: readonly string[], kind: KeyKind): readonly string[] {
  if (kind === 'int') {
    return ids.filter((id) => {
      if (!CANONICAL_INT.test(id)) return false;
      // Up to 18 digits an ID is within int64 whatever its sign: no BigInt per ID.
      if (id.length - (id.startsWith('-') ? 1 : 0) < 19) return true;
      const n = BigInt(id);
      return n >= INT64_MIN && n <= INT64_MAX;
    });
  }
  if (kind === 'uuid') return ids.filter((id) => CANONICAL_UUID.test(id));
  return ids;
}

/** `SELECT id, cols FROM schema.table WHERE id = ANY($1)`, the IDs cast to the key's kind. */
export function buildSelect(
  schema: string,
  table: string,
  idColumn: string,
  columns: readonly string[],
  key: KeyKind = 'text',
): string {
  const id = quoteIdent(idColumn);
  const cols = columns.map((c) => `, ${quoteIdent(c)}`).join('');
  const where =
    key === 'int'
      ? `${id} = ANY($1::int8[])`
      : key === 'uuid'
        ? `${id} = ANY($1::uuid[])`
        : `${id}::text = ANY($1::text[])`;
  return `SELECT ${id} AS "id"${cols} FROM ${quoteIdent(schema)}.${quoteIdent(table)} WHERE ${where}`;
}

interface TableInfo {
  schema: string;
  columns: string[];
  key: KeyKind;
}

export function createSqlSource(opts: SqlSourceOptions): Source {
  const { tableName, idColumn } = opts;
  let info: Promise<TableInfo> | undefined;

  const run = async (text: string, params: unknown[], signal?: AbortSignal): Promise<SqlQueryResult> => {
    try {
      return await opts.run(text, params, signal);
    } catch (e) {
      throw wrapError(e, opts, signal);
    }
  };

  const describe = async (): Promise<TableInfo> => {
    if (opts.query !== undefined) {
      // An empty ID array returns no rows but still describes the result columns.
      const r = await run(opts.query, [[]]);
      return { schema: '', columns: (r.fields ?? []).map((f) => f.name), key: 'text' };
    }
    const r = await run(
      `SELECT table_schema AS s, column_name AS c, udt_name AS t FROM information_schema.columns
       WHERE table_schema = coalesce($1::text, current_schema()) AND table_name = $2 ORDER BY ordinal_position`,
      [opts.schema ?? null, opts.table],
    );
    const first = r.rows[0];
    if (first === undefined) {
      const where = opts.schema === undefined ? opts.table : `${opts.schema}.${opts.table}`;
      throw new UpstreamFailedError(
        `Source table "${where}" of table "${tableName}" was not found on ${opts.upstream}. Check source.table and source.schema in the config.`,
        { table: tableName },
      );
    }
    const key = r.rows.find((row) => row['c'] === idColumn)?.['t'];
    return {
      schema: String(first['s']),
      columns: r.rows.map((row) => String(row['c'])),
      key: keyKindOf(key === undefined ? undefined : String(key)),
    };
  };

  const tableInfo = (refresh = false): Promise<TableInfo> => {
    if (info === undefined || refresh) {
      info = describe();
      // A failed lookup (database down) must not stick: the next fetch tries again.
      info.catch(() => {
        info = undefined;
      });
    }
    return info;
  };

  const fetch = async (ids: string[], columns: string[], ctx: FetchContext): Promise<SourceRow[]> => {
    const wanted = [...new Set(columns.filter((c) => c !== 'id'))];
    let meta = await tableInfo();
    if (wanted.some((c) => !meta.columns.includes(c))) {
      // The cached description may predate an upstream ALTER TABLE; look once more before refusing.
      meta = await tableInfo(true);
      const missing = wanted.find((c) => !meta.columns.includes(c));
      if (missing !== undefined) {
        const known = meta.columns.filter((c) => c !== 'id' || opts.query === undefined);
        throw new ColumnNotFoundError(tableName, missing, known);
      }
    }
    if (ids.length === 0) return [];
    if (opts.query !== undefined) {
      const r = await run(opts.query, [ids], ctx.signal);
      const idKey = r.fields?.some((f) => f.name === 'id') === false ? idColumn : 'id';
      return toRows(r, idKey, wanted);
    }
    const keys = keyIds(ids, meta.key);
    if (keys.length === 0) return [];
    const r = await run(buildSelect(meta.schema, opts.table, idColumn, wanted, meta.key), [keys], ctx.signal);
    return toRows(r, 'id', wanted);
  };

  const source: Source = {
    fetch,
    maxBatchSize: SQL_MAX_BATCH_SIZE,
    columns: async () => (await tableInfo()).columns,
    ping: async (signal) => {
      await run('SELECT 1', [], signal);
    },
  };
  if (opts.close) source.close = opts.close;
  return source;
}

function toRows(r: SqlQueryResult, idKey: string, columns: readonly string[]): SourceRow[] {
  const types = new Map((r.fields ?? []).map((f) => [f.name, f.dataTypeID]));
  // Looked up once per result, not per row.
  const oids = columns.map((c) => types.get(c));
  // A json/jsonb key arrives as its text (see JSON_OIDS): its value is the ID, as before.
  const jsonKey = JSON_OIDS.includes(types.get(idKey) ?? 0);
  return r.rows.map((row) => {
    const raw = row[idKey];
    const out: SourceRow = { id: idToString(jsonKey && typeof raw === 'string' ? JSON.parse(raw) : raw) };
    for (let j = 0; j < columns.length; j++) out[columns[j]!] = normalizeValue(row[columns[j]!], oids[j]);
    return out;
  });
}

function idToString(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

const OID = {
  int8: 20,
  numeric: 1700,
  json: 114,
  jsonb: 3802,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

// PostgreSQL's text output of timestamp / timestamptz in the default ISO DateStyle.
const PG_TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/**
 * A timestamp's text as a Date; without an offset (`timestamp`) it is read as UTC, never as the
 * server's local time. Anything else (`infinity`, BC years) stays text for the column type to
 * judge. Our own parser because the drivers' disagree: PGlite reads `0001-01-01` as 2001 and
 * `timestamp` in local time; pg reads `timestamp` in local time.
 */
export function parsePgTimestamp(text: string): Date | string {
  const m = PG_TIMESTAMP.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter maps years 0–99 to 1900–1999.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), Number((frac ?? '').slice(0, 3).padEnd(3, '0')));
  const offsetS = sign
    ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0))
    : 0;
  return new Date(date.getTime() - offsetS * 1000);
}

/** `json` and `jsonb`: the postgres source reads them as text (see `normalizeValue`). */
export const JSON_OIDS: readonly number[] = [OID.json, OID.jsonb];

/**
 * Type parsers for one client or query (never installed globally, which would change `pg` for the
 * whole process): dates stay `YYYY-MM-DD` text (pg makes local midnight of them, a day off east
 * of Greenwich), timestamps are read by `parsePgTimestamp`.
 */
export const TEMPORAL_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  [OID.date]: (text) => text,
  [OID.timestamp]: parsePgTimestamp,
  [OID.timestamptz]: parsePgTimestamp,
};

/**
 * Makes pg and PGlite agree: JSON as the text the database sent (`JsonText`), not parsed; int8 as its decimal text whatever its size (a BigInt
 * column takes it exactly, and a column's values do not change kind at 2^53); numeric as its text
 * (its precision is the point of it: declare it String); timestamps as ISO 8601 UTC text; dates
 * as `YYYY-MM-DD`.
 */
export function normalizeValue(v: unknown, oid?: number): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) {
    // An invalid Date is left for the column type to refuse, never turned into a cached null.
    if (Number.isNaN(v.getTime())) return v;
    return oid === OID.date ? v.toISOString().slice(0, 10) : v.toISOString();
  }
  if (typeof v === 'string') {
    // The database checked it: a JSON column stores the text as it is (a JSON null is a null).
    if (oid === OID.json || oid === OID.jsonb) return v.trim() === 'null' ? null : new JsonText(v);
    return v;
  }
  if (typeof v === 'number' && (oid === OID.int8 || oid === OID.numeric)) return String(v);
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map((x) => normalizeValue(x));
  return v;
}

/** Driver failures become UPSTREAM_FAILED with a hint; the SQL text never goes into the message. */
function wrapError(e: unknown, opts: SqlSourceOptions, signal?: AbortSignal): Error {
  if (isCacheGateError(e)) return e;
  const { tableName, upstream } = opts;
  if (signal?.aborted) {
    return new UpstreamFailedError(
      `Query for table "${tableName}" on ${upstream} was cancelled (batch timeout or shutdown).`,
      { table: tableName },
      { cause: e },
    );
  }
  const scrub = opts.scrub ?? ((m: string) => m);
  const err = e as { message?: unknown; code?: unknown };
  const message = scrub(typeof err.message === 'string' ? err.message : String(e));
  const code = typeof err.code === 'string' ? err.code : '';
  const sqlState = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : code ? ` (${code})` : '';
  const failure = new UpstreamFailedError(
    `Query for table "${tableName}" failed on ${upstream}: ${message}${sqlState}. ${hint(code, opts)}`,
    { table: tableName },
    { cause: e },
  );
  // Data (22), constraint (23) and syntax/undefined-object (42) errors come from one statement or
  // one value, not from a database that is down: the circuit breaker must not count them.
  if (/^(22|23|42)/.test(code)) failure.outage = false;
  return failure;
}

function hint(code: string, opts: SqlSourceOptions): string {
  if (code.startsWith('28')) return 'Check the user and password in source.url.';
  if (code === '3D000') return 'Check the database name in source.url.';
  if (code === '42P01' || code === '3F000') return 'Check source.table and source.schema in the config.';
  if (code.startsWith('42')) {
    return opts.query !== undefined
      ? 'Check source.query: it must select "id" and take the ID array as $1.'
      : 'Check source.idColumn and the columns in the config.';
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return 'Check that the database is running and that source.url points at it.';
  }
  return 'Check that the database is reachable and that the source config matches it.';
}
