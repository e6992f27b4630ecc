/**
 * Sustained load (`npm run bench:load`): a real cachegate server in its own process on
 * 127.0.0.1, autocannon in this one. Phase 1: CONNECTIONS connections of warm-cache queries (5
 * random cached movies each). Phase 2: the same with 20% of requests also asking for one cold ID,
 * fetched from a slow fake upstream (a module source that waits UPSTREAM_DELAY_MS per batch).
 * SUBSCRIPTIONS graphql-ws subscriptions to the table's fetchProgress stay open throughout.
 * Prints req/s, p50/p99, non-2xx, transport errors, GraphQL errors by code, and the server's RSS
 * at start, middle, end and after an idle period. Env (seconds unless noted): LOAD_WARM_S (60),
 * LOAD_MIX_S (60), LOAD_IDLE_S (60), LOAD_CONNECTIONS (200), LOAD_SUBSCRIPTIONS (50),
 * LOAD_UPSTREAM_DELAY_MS (50), LOAD_WARM_IDS (10000), LOAD_MAX_CONCURRENCY (4, the source's cap).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createClient } from 'graphql-ws';
import { pino } from 'pino';
import WebSocket from 'ws';
import { parseConfig } from '../src/config/load.js';
import { buildApp } from '../src/server/app.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const WARM_S = env('LOAD_WARM_S', 60);
const MIX_S = env('LOAD_MIX_S', 60);
const IDLE_S = env('LOAD_IDLE_S', 60);
const CONNECTIONS = env('LOAD_CONNECTIONS', 200);
const SUBSCRIPTIONS = env('LOAD_SUBSCRIPTIONS', 50);
const DELAY_MS = env('LOAD_UPSTREAM_DELAY_MS', 50);
const WARM_IDS = env('LOAD_WARM_IDS', 10_000);
const MAX_CONCURRENCY = env('LOAD_MAX_CONCURRENCY', 4);
const COLD_SHARE = 0.2;
const IDS_PER_QUERY = 5;

// Plain JS, imported by the server as a user's module would be: every positive integer ID exists.
const SLOW_SOURCE = `
export async function fetch(ids, columns) {
  await new Promise((resolve) => setTimeout(resolve, ${DELAY_MS}));
  return ids.map((id) => {
    const n = Number(id);
    const full = { title: 'Movie ' + id, year: 1950 + (n % 70), rating: (n % 100) / 10 };
    const row = { id };
    for (const c of columns) row[c] = full[c] ?? null;
    return row;
  });
}
`;

// --- child side: the server ----------------------------------------------------------------------

async function serve(dir: string): Promise<void> {
  const config = parseConfig(
    {
      cacheDir: join(dir, 'cache'),
      tables: {
        movies: {
          typeName: 'Movie',
          source: { kind: 'module', path: 'slow-source.mjs', maxConcurrency: MAX_CONCURRENCY },
          columns: { title: 'String', year: 'Int', rating: 'Float' },
          batch: { maxSize: 100 },
        },
      },
    },
    dir,
  );
  const app = buildApp({ config, logger: pino({ level: 'warn' }) });
  const { port } = await app.start(0, '127.0.0.1');
  process.send?.({ port });
  process.on('SIGTERM', () => {
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// --- parent side ---------------------------------------------------------------------------------

function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', dir], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => {
      const port = typeof m === 'object' && m && 'port' in m ? Number(m.port) : 0;
      resolve({ child, url: `http://127.0.0.1:${port}/graphql` });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

/** Resident set of the server process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 1024);
}

const query = (ids: string[]): string =>
  JSON.stringify({ query: `{ movies(ids: ${JSON.stringify(ids)}) { id title year } }` });

async function post(url: string, body: string): Promise<{ errors?: Array<{ message: string }> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (await res.json()) as { errors?: Array<{ message: string }> };
}

async function warmCache(url: string): Promise<void> {
  for (let from = 1; from <= WARM_IDS; from += 100) {
    const ids = Array.from({ length: Math.min(100, WARM_IDS - from + 1) }, (_, i) => String(from + i));
    const r = await post(url, query(ids));
    if (r.errors?.length) throw new Error(`warming failed: ${r.errors[0]?.message}`);
  }
}

interface Phase {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  graphqlErrors: Map<string, number>;
}

let coldNext = 10_000_000;
function randomWarm(): string {
  return String(1 + Math.floor(Math.random() * WARM_IDS));
}

async function phase(url: string, label: string, seconds: number, coldShare: number): Promise<Phase> {
  const graphqlErrors = new Map<string, number>();
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const ids = Array.from({ length: IDS_PER_QUERY }, randomWarm);
          if (Math.random() < coldShare) ids[0] = String(coldNext++);
          return { ...req, body: query(ids) };
        },
        onResponse: (_status, body) => {
          if (!body.includes('"errors"')) return;
          try {
            const parsed = JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> };
            for (const e of parsed.errors ?? []) {
              const code = e.extensions?.code ?? 'no code';
              graphqlErrors.set(code, (graphqlErrors.get(code) ?? 0) + 1);
            }
          } catch {
            graphqlErrors.set('unparsable body', (graphqlErrors.get('unparsable body') ?? 0) + 1);
          }
        },
      },
    ],
  });
  return {
    label,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    graphqlErrors,
  };
}

interface Subscribers {
  events: number;
  errors: number;
  completedEarly: number;
  close(): Promise<void>;
}

function subscribe(url: string, count: number): Subscribers {
  const state = { events: 0, errors: 0, completedEarly: 0 };
  const clients = Array.from({ length: count }, () => {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    client.subscribe(
      { query: 'subscription { fetchProgress(table: "movies") { jobId status batchesDone } }' },
      {
        next: (r) => {
          if (r.errors) state.errors++;
          else state.events++;
        },
        error: () => state.errors++,
        complete: () => state.completedEarly++,
      },
    );
    return client;
  });
  return {
    get events() {
      return state.events;
    },
    get errors() {
      return state.errors;
    },
    get completedEarly() {
      return state.completedEarly;
    },
    async close() {
      await Promise.all(clients.map((c) => c.dispose()));
    },
  };
}

function table(phases: Phase[]): string {
  const rows = phases.map((p) => {
    const gql = [...p.graphqlErrors].map(([c, n]) => `${c}: ${n}`).join(', ') || '0';
    return `| ${p.label} | ${Math.round(p.rps).toLocaleString('en-US')} | ${p.p50} | ${p.p99} | ${p.non2xx} | ${p.errors} (${p.timeouts} timeouts) | ${gql} |`;
  });
  return [
    '| phase | req/s | p50 ms | p99 ms | non-2xx | transport errors | GraphQL errors |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-load-'));
  await writeFile(join(dir, 'slow-source.mjs'), SLOW_SOURCE);
  const { child, url } = await startServer(dir);
  const pid = child.pid!;
  const rss: Array<[string, number]> = [['start (empty cache)', rssMb(pid)]];
  try {
    console.error(`warming ${WARM_IDS} ids...`);
    await warmCache(url);
    rss.push(['cache warmed', rssMb(pid)]);
    const subs = subscribe(url, SUBSCRIPTIONS);
    console.error(`phase 1: ${CONNECTIONS} connections, warm queries, ${WARM_S} s...`);
    const warm = await phase(url, `warm cache, ${IDS_PER_QUERY} ids/query`, WARM_S, 0);
    rss.push(['middle (after phase 1)', rssMb(pid)]);
    console.error(
      `phase 2: ${Math.round(COLD_SHARE * 100)}% cold over a ${DELAY_MS} ms upstream, ${MIX_S} s...`,
    );
    const mix = await phase(
      url,
      `${Math.round(COLD_SHARE * 100)}% with a cold id (upstream ${DELAY_MS} ms)`,
      MIX_S,
      COLD_SHARE,
    );
    rss.push(['end (after phase 2)', rssMb(pid)]);
    const subEvents = subs.events;
    const subErrors = subs.errors;
    const subEnded = subs.completedEarly;
    await subs.close();
    console.error(`idle ${IDLE_S} s...`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    rss.push([`after ${IDLE_S} s idle`, rssMb(pid)]);

    const out = [
      `Run ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )} at the end. ${CONNECTIONS} connections, phases ${WARM_S} s + ${MIX_S} s, ${WARM_IDS} warm ids, source.maxConcurrency ${MAX_CONCURRENCY}.`,
      '',
      table([warm, mix]),
      '',
      `Subscriptions: ${SUBSCRIPTIONS} open through both phases; ${subEvents} progress events received, ${subErrors} errors, ${subEnded} ended by the server.`,
      '',
      '| server RSS | MB |',
      '|---|---:|',
      ...rss.map(([when, mb]) => `| ${when} | ${mb} |`),
    ].join('\n');
    console.log(out);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt === -1) await main();
else await serve(process.argv[serveAt + 1] ?? tmpdir());
