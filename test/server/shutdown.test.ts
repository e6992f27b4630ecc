/**
 * stop() with work that will never finish on its own: an upstream that hangs and ignores its
 * abort signal, one request waiting on it and another waiting on that request's claim, and a
 * subscriber of the job. stop() must still end (within its bound), close the sources, log
 * "cachegate stopped", and send the subscriber a final FAILED event.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CacheGateConfig, DEFAULT_BATCH, DEFAULT_STORE } from '../../src/config/types.js';
import type { FetchProgress } from '../../src/engine/types.js';
import { FetchProgressDocument } from '../gql/graphql.js';
import { serverTempDir, startTestServer, type TestServer } from '../helpers/server.js';
import { createWsClient, type WsClient } from '../helpers/ws-client.js';

interface HangGlobals {
  __hangCalls?: number;
  __hangClosed?: boolean;
}
const globals = globalThis as HangGlobals;

// Never answers and never looks at ctx.signal: the worst upstream a stop can meet.
const HANGING_SOURCE = `
export async function fetch() {
  globalThis.__hangCalls = (globalThis.__hangCalls ?? 0) + 1;
  return new Promise(() => {});
}
export async function close() {
  globalThis.__hangClosed = true;
}
`;

async function hangingConfig(): Promise<CacheGateConfig> {
  const dir = await serverTempDir();
  await writeFile(path.join(dir, 'hang.mjs'), HANGING_SOURCE);
  return {
    cacheDir: path.join(dir, 'cache'),
    baseDir: dir,
    store: DEFAULT_STORE,
    tables: {
      movies: {
        typeName: 'Movie',
        source: { kind: 'module', path: 'hang.mjs' },
        columns: { title: 'String' },
        notFoundTtlMs: 60_000,
        batch: { ...DEFAULT_BATCH, retries: 0, timeoutMs: 10 * 60_000 },
      },
    },
  };
}

let ws: WsClient | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

describe('stop()', () => {
  it('ends with a request stuck on a hung upstream and another on its claim', async () => {
    globals.__hangCalls = 0;
    globals.__hangClosed = false;
    const server: TestServer = await startTestServer({ config: await hangingConfig(), stopGraceMs: 300 });
    ws = createWsClient(server.wsUrl);
    const events: FetchProgress[] = [];
    const subscription = (async () => {
      for await (const r of ws.subscribe(FetchProgressDocument, { table: 'movies' })) {
        events.push(r.data!.fetchProgress as unknown as FetchProgress);
      }
    })().catch(() => undefined);

    const query = (id: string) => `{ movies(ids: ["${id}"]) { id title } }`;
    const first = server.requestText(query('1')).catch((e: unknown) => e);
    // Same id: this one waits on the first request's claim, never calling the upstream itself.
    const second = server.requestText(query('1')).catch((e: unknown) => e);
    // The subscription is attached once it sees a job start; until then, start one more.
    const probes: Array<Promise<unknown>> = [];
    for (let n = 2; !events.some((e) => e.status === 'RUNNING'); n++) {
      probes.push(server.requestText(query(String(n))).catch((e: unknown) => e));
      await until(() => globals.__hangCalls === n);
    }
    await server.stop();

    expect(server.logs.some((l) => l.msg === 'cachegate stopped')).toBe(true);
    expect(globals.__hangClosed).toBe(true);
    // The second request for id 1 waited for the first one's fetch instead of calling again.
    expect(globals.__hangCalls).toBe(1 + probes.length);
    // Every request was answered or cut, none is left hanging.
    await Promise.all([first, second, ...probes]);
    await subscription;
    const finals = events.filter((e) => e.status !== 'RUNNING');
    expect(finals.length).toBeGreaterThan(0);
    for (const final of finals) {
      expect(final).toMatchObject({ table: 'movies', status: 'FAILED' });
      expect(final.message).toMatch(/server stopped/);
    }
  }, 30_000);
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
