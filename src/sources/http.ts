/** An HTTP endpoint as a source: a URL template receives the IDs, a JSON response holds the rows. */
import type { HttpSourceConfig } from '../config/types.js';
import { UpstreamFailedError } from '../errors.js';
import type { FetchContext, Source, SourceRow } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export function createHttpSource(cfg: HttpSourceConfig, tableName: string): Source {
  const method = cfg.method ?? 'GET';
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const rowsPath = cfg.rowsPath === undefined || cfg.rowsPath === '' ? [] : cfg.rowsPath.split('.');

  const fetchRows = async (ids: string[], columns: string[], ctx: FetchContext): Promise<SourceRow[]> => {
    if (ids.length === 0) return [];
    const url = cfg.url.replaceAll('{ids}', joinEncoded(ids)).replaceAll('{columns}', joinEncoded(columns));
    const where = `${method} ${redact(url)}`;
    const fail = (what: string, cause?: unknown): UpstreamFailedError =>
      new UpstreamFailedError(
        `HTTP source for table "${tableName}" ${what} (${where}).`,
        { table: tableName },
        { cause },
      );

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const init: RequestInit = { method, signal, headers: { accept: 'application/json', ...cfg.headers } };
    if (method === 'POST') {
      init.headers = { 'content-type': 'application/json', ...init.headers };
      init.body = JSON.stringify({ ids, columns });
    }

    let body: string;
    try {
      const res = await fetch(url, init);
      body = await res.text();
      if (!res.ok) {
        throw fail(
          `answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}; check the URL and that the service is up`,
        );
      }
    } catch (e) {
      if (e instanceof UpstreamFailedError) throw e;
      if (timeout.aborted && !ctx.signal.aborted) {
        throw fail(`did not answer within ${timeoutMs} ms; raise source.timeoutMs or lower batch.maxSize`, e);
      }
      if (ctx.signal.aborted) throw fail('request was cancelled (batch timeout or shutdown)', e);
      throw fail(`could not be reached: ${networkReason(e)}; check the URL and that the service is up`, e);
    }

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (e) {
      throw fail(`answered with invalid JSON: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    const rows = at(json, rowsPath);
    if (!Array.isArray(rows)) {
      const path = cfg.rowsPath ? `at rowsPath "${cfg.rowsPath}"` : 'as the response body';
      throw fail(`expected an array of rows ${path} but found ${describe(rows)}; check source.rowsPath`);
    }
    return rows.map((row, i) => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw fail(`returned row ${i} as ${describe(row)}, expected an object`);
      }
      const r = row as Record<string, unknown>;
      const id = r[cfg.idField];
      if (id === undefined || id === null) {
        throw fail(`returned row ${i} without "${cfg.idField}"; check source.idField`);
      }
      const out: SourceRow = { id: String(id) };
      // A column absent from the row stays absent: the contract reads that as unknown upstream.
      for (const c of columns) if (c !== 'id' && Object.hasOwn(r, c)) out[c] = r[c];
      return out;
    });
  };

  const source: Source = { fetch: fetchRows };
  return cfg.maxSize === undefined ? source : { ...source, maxBatchSize: cfg.maxSize };
}

function joinEncoded(values: readonly string[]): string {
  return values.map(encodeURIComponent).join(',');
}

/** The URL without query string or credentials: those may carry tokens. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.split('?')[0] ?? '';
  }
}

function at(value: unknown, path: readonly string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return e instanceof Error ? e.message : String(e);
}
