/**
 * A real cachegate server on an ephemeral port for tests, over a config that mirrors the demo's
 * `movies` and `people` tables (so the typed documents generated from schema.graphql fit) but
 * reads them from a `module` source written into the temp folder, which records every call.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { pino } from 'pino';
import {
  type CacheGateConfig,
  DEFAULT_BATCH,
  DEFAULT_STORE,
  type TableConfig,
} from '../../src/config/types.js';
import type { Cache } from '../../src/engine/types.js';
import { type App, type AppOptions, buildApp } from '../../src/server/app.js';

export interface SourceCall {
  table: string;
  ids: string[];
  columns: string[];
}

interface SourceGlobals {
  __cachegateTestCalls?: SourceCall[];
  __cachegateTestDelayMs?: number;
}
const globals = globalThis as SourceGlobals;

/** Every call the module source received in this process (test files run in their own fork). */
export function sourceCalls(table?: string): SourceCall[] {
  globals.__cachegateTestCalls ??= [];
  const calls = globals.__cachegateTestCalls;
  return table === undefined ? calls : calls.filter((c) => c.table === table);
}

export function resetSourceCalls(): void {
  sourceCalls().length = 0;
}

/** Delay of each upstream call, so a test can watch a job run. */
export function setSourceDelay(ms: number): void {
  globals.__cachegateTestDelayMs = ms;
}

// Plain JS: the engine imports it as the user's module would be. Movies 1..100000 and people
// 1..1000 exist; any other ID is not returned (not found). Movie 77777 has details that are not JSON (refused at fetch time);
// a batch holding ID 66666 fails.
const SOURCE = `
const calls = (globalThis.__cachegateTestCalls ??= []);
const movie = (n) => ({
  title: 'Movie ' + n,
  year: 1950 + (n % 70),
  rating: (n % 100) / 10,
  details: { cast: [{ name: 'Actor ' + n, role: 'lead' }, { name: 'Actor ' + (n + 1), role: 'support' }], meta: { score: n % 7 } },
  director_id: String(1 + (n % 50)),
  ...(n === 77777 ? { details: '{broken' } : {}),
});
const person = (n) => ({ name: 'Person ' + n, born: 1900 + (n % 100), profile: { awards: n % 5 } });
const TABLES = { movies: [100000, movie], people: [1000, person] };
export async function fetch(ids, columns, ctx) {
  calls.push({ table: ctx.table, ids: [...ids], columns: [...columns] });
  const delay = globalThis.__cachegateTestDelayMs ?? 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (ids.includes('66666')) throw new Error('connection reset by upstream');
  const [max, make] = TABLES[ctx.table];
  const rows = [];
  for (const id of ids) {
    const n = Number(id);
    if (!/^[1-9][0-9]*$/.test(id) || n > max) continue;
    const full = make(n);
    const row = { id };
    for (const c of columns) row[c] = full[c] ?? null;
    rows.push(row);
  }
  return rows;
}
`;

const dirs: string[] = [];

/**
 * A temp folder that lives until the test server whose config it holds stops (`temp-dir.ts`
 * removes its folders after each test, too early for a server shared by a file's tests).
 */
export async function serverTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cachegate-server-'));
  dirs.push(dir);
  return dir;
}

/** The test config over `dir`; `maxSize` is the upstream batch size of both tables. */
export async function testConfig(dir: string, options: { maxSize?: number } = {}): Promise<CacheGateConfig> {
  await writeFile(path.join(dir, 'source.mjs'), SOURCE);
  const batch = { ...DEFAULT_BATCH, maxSize: options.maxSize ?? 100, retries: 0 };
  const source = { kind: 'module' as const, path: 'source.mjs' };
  const table = (t: Omit<TableConfig, 'notFoundTtlMs' | 'batch' | 'source'>): TableConfig => ({
    ...t,
    source,
    notFoundTtlMs: 60_000,
    batch,
  });
  return {
    cacheDir: path.join(dir, 'cache'),
    baseDir: dir,
    store: DEFAULT_STORE,
    tables: {
      movies: table({
        typeName: 'Movie',
        columns: { title: 'String', year: 'Int', rating: 'Float', details: 'JSON', director_id: 'ID' },
        relations: { director: { table: 'people', column: 'director_id' } },
      }),
      people: table({ typeName: 'Person', columns: { name: 'String', born: 'Int', profile: 'JSON' } }),
    },
  };
}

export interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  [key: string]: unknown;
}

export interface TestServer {
  app: App;
  cache: Cache;
  /** http://127.0.0.1:PORT/graphql */
  url: string;
  /** ws://127.0.0.1:PORT/graphql */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  logs: LogLine[];
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<ExecutionResult<TResult>>;
  /** An untyped operation, for what the typed documents cannot express (bad input). */
  requestText(query: string, variables?: Record<string, unknown>): Promise<ExecutionResult>;
  stop(): Promise<void>;
}

export async function startTestServer(options: Omit<AppOptions, 'logger'>): Promise<TestServer> {
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
  );
  const app = buildApp({ ...options, logger });
  const { port, url } = await app.start(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${port}`;
  const post = async (body: unknown): Promise<ExecutionResult> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as ExecutionResult;
  };
  return {
    app,
    cache: app.cache,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    origin,
    logs,
    request: (document, variables) =>
      post({ query: print(document), variables }) as Promise<ExecutionResult<never>>,
    requestText: (query, variables) => post({ query, variables }),
    async stop() {
      await app.stop();
      const own = dirs.indexOf(options.config.baseDir);
      if (own !== -1) await rm(dirs.splice(own, 1)[0]!, { recursive: true, force: true });
    },
  };
}
