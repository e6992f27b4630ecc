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
        const status = Object.assign(new Error(`HTTP ${res.status}`), { code: `HTTP_${res.status}` });
        const err = fail(
          `answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}; check the URL and that the service is up`,
          status,
        );
        // A 4xx other than 429 is about this request (a bad ID), not about the service's health.
        if (res.status >= 400 && res.status < 500 && res.status !== 429) err.outage = false;
        const pause = retryAfterMs(res.headers.get('retry-after'));
        if ((res.status === 429 || res.status === 503) && pause !== undefined) err.retryAfterMs = pause;
        throw err;
      }
    } catch (e) {
      if (e instanceof UpstreamFailedError) throw e;
      if (timeout.aborted && !ctx.signal.aborted) {
        throw fail(
          `did not answer within ${timeoutMs} ms; raise the source's "timeout" or lower batch.maxSize`,
          e,
        );
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

  const ping = async (signal: AbortSignal): Promise<void> => {
    const url = cfg.healthUrl ?? cfg.url.replaceAll('{ids}', '').replaceAll('{columns}', '');
    let res: Response;
    try {
      res = await fetch(url, { method: 'GET', signal, headers: { ...cfg.headers } });
      await res.body?.cancel();
    } catch (e) {
      throw new UpstreamFailedError(
        `HTTP source for table "${tableName}" could not be reached: ${networkReason(e)}.`,
        { table: tableName },
        { cause: e },
      );
    }
    // Any answer but a server error means the service is there (an empty ID list may be a 400).
    if (res.status >= 500 || res.status === 429) {
      throw new UpstreamFailedError(
        `HTTP source for table "${tableName}" answered HTTP ${res.status} to the readiness check.`,
        { table: tableName },
        { cause: Object.assign(new Error(`HTTP ${res.status}`), { code: `HTTP_${res.status}` }) },
      );
    }
  };

  const source: Source = { fetch: fetchRows, ping };
  return cfg.maxSize === undefined ? source : { ...source, maxBatchSize: cfg.maxSize };
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
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
