/**
 * Memory of a server whose WebSocket clients never read (issue #7 item 5), with the
 * `wsBufferBytes` limit and without it (`npm run bench:ws-slow`). SOCKETS clients stop reading,
 * then each sends QUERIES operations answering ~240 kB each (1,000 cached rows), so about 12 MB
 * per client would wait in the server's memory. Prints RSS and heap before and after, and how
 * many sockets the server closed. Each run is its own process. Env: SOCKETS (100), QUERIES (50).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import WebSocket from 'ws';
import { DEFAULT_BATCH, DEFAULT_LIMITS, DEFAULT_STORE } from '../src/config/types.js';
import { buildApp } from '../src/server/app.js';

const SOCKETS = Number(process.env['SOCKETS'] ?? 100);
const QUERIES = Number(process.env['QUERIES'] ?? 50);
const MB = 1024 * 1024;
const IDS = Array.from({ length: 1000 }, (_, i) => String(i + 1));
const QUERY = 'query ($ids: [ID!]!) { items(ids: $ids) { id title } }';

const SOURCE = `export async function fetch(ids) {
  return ids.map((id) => ({ id, title: 'Item ' + id + ' '.padEnd(200, '.') }));
}`;

async function run(bufferBytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-ws-bench-'));
  await writeFile(join(dir, 'source.mjs'), SOURCE);
  let closedSlow = 0;
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        if (line.includes('closed a WebSocket that does not read')) closedSlow++;
      },
    },
  );
  const app = buildApp({
    logger,
    limits: {
      wsBufferBytes: bufferBytes,
      sockets: SOCKETS + 10,
      subscriptionsPerSocket: QUERIES + 1,
      wsPayloadBytes: 64 * 1024,
    },
    config: {
      cacheDir: join(dir, 'cache'),
      baseDir: dir,
      store: DEFAULT_STORE,
      tables: {
        items: {
          columns: { title: 'String' },
          source: { kind: 'module', path: 'source.mjs' },
          notFoundTtlMs: 60_000,
          batch: { ...DEFAULT_BATCH, maxSize: 10 },
        },
      },
    },
  });
  const { url } = await app.start(0);
  const wsUrl = url.replace(/^http/, 'ws');
  const mem = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return `RSS ${(m.rss / MB).toFixed(0)} MB, heap ${(m.heapUsed / MB).toFixed(0)} MB`;
  };
  // Cache the rows first: every answer is then cheap to make and large to send.
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables: { ids: IDS } }),
  });
  const before = mem();
  const started = Date.now();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    ws.on('error', () => undefined);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => ws.once('message', resolve));
    // ws exposes no public way to stop reading; `_socket` is its net.Socket.
    (ws as unknown as { _socket: Socket })._socket.pause();
    for (let q = 0; q < QUERIES; q++) {
      ws.send(
        JSON.stringify({
          id: `q${q}`,
          type: 'subscribe',
          payload: { query: QUERY, variables: { ids: IDS } },
        }),
      );
    }
    sockets.push(ws);
  }
  // Every operation has been answered (or its socket closed) once the server is idle again.
  let idleChecks = 0;
  let last = -1;
  while (idleChecks < 5) {
    await new Promise((r) => setTimeout(r, 200));
    const rss = process.memoryUsage().rss;
    idleChecks = Math.abs(rss - last) < 2 * MB ? idleChecks + 1 : 0;
    last = rss;
  }
  const label =
    bufferBytes >= Number.MAX_SAFE_INTEGER
      ? 'no wsBufferBytes limit'
      : `wsBufferBytes ${(bufferBytes / MB).toFixed(0)} MiB`;
  console.log(
    `${label}: ${SOCKETS} never-reading clients × ${QUERIES} answers of ~240 kB, ${((Date.now() - started) / 1000).toFixed(1)} s: before ${before}; after ${mem()}; sockets closed as slow: ${closedSlow}`,
  );
  for (const ws of sockets) ws.terminate();
  await app.stop();
  await rm(dir, { recursive: true, force: true });
}

const mode = process.argv[2];
if (mode === 'child') {
  await run(Number(process.argv[3]));
} else {
  for (const bytes of [DEFAULT_LIMITS.wsBufferBytes, Number.MAX_SAFE_INTEGER]) {
    await new Promise<void>((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), ['child', String(bytes)], {
        execArgv: ['--import', 'tsx', '--expose-gc'],
        stdio: 'inherit',
      });
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`bench child exited ${code}`)),
      );
    });
  }
}
