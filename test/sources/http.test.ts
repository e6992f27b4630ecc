import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpSourceConfig } from '../../src/config/types.js';
import { UpstreamFailedError } from '../../src/errors.js';
import { createHttpSource } from '../../src/sources/http.js';
import type { FetchContext, SourceResult, SourceRow } from '../../src/sources/types.js';
import { sendJson, startHttpServer, type TestServer } from '../helpers/http-server.js';

const ctx = (signal = new AbortController().signal): FetchContext => ({
  table: 't',
  signal,
  batch: 1,
  attempt: 1,
});
const rows = (r: SourceResult): SourceRow[] => (Array.isArray(r) ? r : r.toRecords());

const DATA: Record<string, Record<string, unknown>> = {
  '007': { key: '007', title: 'Dr. No', meta: { year: 1962 } },
  'a b': { key: 'a b', title: 'Spaced', meta: null },
};

let server: TestServer;

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/fail') return sendJson(res, 503, { error: 'down' });
    if (url.pathname === '/hang') return; // never answers
    if (url.pathname === '/garbage') {
      res.end('<html>not json');
      return;
    }
    const ids =
      req.method === 'POST'
        ? (JSON.parse(req.body) as { ids: string[] }).ids
        : (url.searchParams.get('ids') ?? '').split(',');
    const found = ids.flatMap((id) => (DATA[id] ? [DATA[id]] : []));
    sendJson(res, 200, { data: { items: found }, total: found.length });
  });
});

afterAll(async () => {
  await server.close();
});

const cfg = (over: Partial<HttpSourceConfig> = {}): HttpSourceConfig => ({
  kind: 'http',
  url: `${server.url}/movies?ids={ids}&fields={columns}&token=secret`,
  idField: 'key',
  rowsPath: 'data.items',
  ...over,
});

describe('http source', () => {
  it('sends the IDs and columns in the URL and maps rowsPath and idField', async () => {
    const src = createHttpSource(cfg(), 'movies');
    const out = rows(await src.fetch(['007', 'a b', 'missing'], ['title', 'meta'], ctx()));
    expect(out).toEqual([
      { id: '007', title: 'Dr. No', meta: { year: 1962 } },
      { id: 'a b', title: 'Spaced', meta: null },
    ]);
    const last = server.requests.at(-1);
    expect(last?.url).toBe('/movies?ids=007,a%20b,missing&fields=title,meta&token=secret');
  });

  it('POSTs the IDs and columns as JSON', async () => {
    const src = createHttpSource(
      cfg({ url: `${server.url}/movies`, method: 'POST', maxSize: 100 }),
      'movies',
    );
    expect(src.maxBatchSize).toBe(100);
    const out = rows(await src.fetch(['007'], ['title'], ctx()));
    expect(out).toEqual([{ id: '007', title: 'Dr. No' }]);
    const last = server.requests.at(-1);
    expect(last?.method).toBe('POST');
    expect(JSON.parse(last?.body ?? '')).toEqual({ ids: ['007'], columns: ['title'] });
  });

  it('turns a non-2xx answer into UPSTREAM_FAILED with the status and the URL without its query', async () => {
    const src = createHttpSource(cfg({ url: `${server.url}/fail?ids={ids}&token=secret` }), 'movies');
    const err = await src.fetch(['007'], ['title'], ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamFailedError);
    const message = (err as Error).message;
    expect(message).toContain('503');
    expect(message).toContain(`${server.url}/fail`);
    expect(message).not.toContain('secret');
  });

  it('turns a timeout into UPSTREAM_FAILED', async () => {
    const src = createHttpSource(cfg({ url: `${server.url}/hang?ids={ids}`, timeoutMs: 50 }), 'movies');
    const err = await src.fetch(['007'], ['title'], ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect((err as Error).message).toContain('did not answer within 50 ms');
  });

  it('stops when the caller aborts', async () => {
    const src = createHttpSource(cfg({ url: `${server.url}/hang?ids={ids}` }), 'movies');
    const ac = new AbortController();
    const pending = src.fetch(['007'], ['title'], ctx(ac.signal)).catch((e: unknown) => e);
    ac.abort(new Error('shutdown'));
    expect(await pending).toMatchObject({ code: 'UPSTREAM_FAILED' });
  });

  it('turns invalid JSON and a wrong rowsPath into UPSTREAM_FAILED', async () => {
    const garbage = createHttpSource(cfg({ url: `${server.url}/garbage?ids={ids}` }), 'movies');
    await expect(garbage.fetch(['007'], ['title'], ctx())).rejects.toThrow(/invalid JSON/);
    const wrongPath = createHttpSource(cfg({ rowsPath: 'data.rows' }), 'movies');
    await expect(wrongPath.fetch(['007'], ['title'], ctx())).rejects.toThrow(/rowsPath "data.rows"/);
  });

  it('refuses rows without the idField', async () => {
    const src = createHttpSource(cfg({ idField: 'uuid' }), 'movies');
    await expect(src.fetch(['007'], ['title'], ctx())).rejects.toMatchObject({ code: 'UPSTREAM_FAILED' });
  });
});
