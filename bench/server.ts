/**
 * HTTP throughput of cachegate against a bare graphql-yoga server (`npm run bench:server`).
 *
 * Each server runs in its own child process so that autocannon, in this process, does not take
 * CPU from it. Scenarios: (a) bare yoga answering `{ hello }`, (b) cachegate `movies(ids: ["1"])`
 * from a warm cache, (c) 100 warm movies with five columns and a JSON path. The figures go to the
 * console and to the "Server" section of bench/README.md. Env: BENCH_DURATION (s), BENCH_CONNECTIONS.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createSchema, createYoga } from 'graphql-yoga';
import { demoConfig } from '../src/config/demo.js';
import { buildApp } from '../src/server/app.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const WARMUP_S = 2;
const README = fileURLToPath(new URL('./README.md', import.meta.url));
const SECTION = '## Server';

type Role = 'bare' | 'cachegate';

interface Scenario {
  key: string;
  label: string;
  role: Role;
  query: string;
}

const HUNDRED_IDS = JSON.stringify(Array.from({ length: 100 }, (_, i) => String(i + 1)));
const SCENARIOS: Scenario[] = [
  { key: 'a', label: 'bare yoga `{ hello }`', role: 'bare', query: '{ hello }' },
  {
    key: 'b',
    label: 'cachegate 1 movie, 1 column (warm)',
    role: 'cachegate',
    query: '{ movies(ids: ["1"]) { title } }',
  },
  {
    key: 'c',
    label: 'cachegate 100 movies, 5 columns + JSON path (warm)',
    role: 'cachegate',
    query: `{ movies(ids: ${HUNDRED_IDS}) { title year rating director_id field(path: "details.meta.score") } }`,
  },
];

interface Figures {
  scenario: Scenario;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

// --- child side: one server per process --------------------------------------------------------

async function serve(role: Role, dir: string): Promise<void> {
  if (role === 'bare') {
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { hello: String }',
        resolvers: { Query: { hello: () => 'world' } },
      }),
      logging: false,
    });
    const server = createServer(yoga);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    return;
  }
  // A generous upstream budget: the first, cold run of scenario (c) warms the cache.
  const app = buildApp({ config: demoConfig(dir), maxUpstreamCost: 1_000_000 });
  const { port } = await app.start(0, '127.0.0.1');
  process.send?.({ port });
  process.on('SIGTERM', () => {
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// --- parent side: start servers, warm, measure, report -----------------------------------------

function startServer(role: Role, dir: string): Promise<{ child: ChildProcess; url: string }> {
  // One info line per request would measure pino writing to a pipe; the bare server logs nothing.
  const env = { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' };
  const child = fork(fileURLToPath(import.meta.url), ['--role', role, '--dir', dir], {
    stdio: 'inherit',
    env,
  });
  return new Promise((resolveStarted, reject) => {
    child.once('message', (message) => {
      const port = typeof message === 'object' && message && 'port' in message ? Number(message.port) : 0;
      resolveStarted({ child, url: `http://127.0.0.1:${port}/graphql` });
    });
    child.once('exit', (code) =>
      reject(new Error(`${role} server exited with code ${code} before listening`)),
    );
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

async function post(
  url: string,
  query: string,
): Promise<{ data?: unknown; errors?: Array<{ message: string }> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { data?: unknown; errors?: Array<{ message: string }> };
}

/** Runs the query until it answers without errors: the first run fetches from the demo database. */
async function warm(url: string, query: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const result = await post(url, query);
    if (!result.errors?.length) return;
    if (Date.now() > deadline) throw new Error(`query still fails after 120 s: ${result.errors[0]?.message}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function cannon(url: string, query: string, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    connections: CONNECTIONS,
    duration,
  });
}

async function measure(scenario: Scenario, url: string): Promise<Figures> {
  await warm(url, scenario.query);
  // A short unrecorded run first, so the JIT and the in-memory cache parts are hot.
  await cannon(url, scenario.query, WARMUP_S);
  const r = await cannon(url, scenario.query, DURATION_S);
  return {
    scenario,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

function report(figures: Figures[]): string {
  const bare = figures.find((f) => f.scenario.key === 'a')?.rps ?? Number.NaN;
  const header =
    '| scenario | req/s | p50 ms | p99 ms | vs (a) | non-2xx / errors |\n|---|---:|---:|---:|---:|---:|';
  const rows = figures.map(
    (f) =>
      `| (${f.scenario.key}) ${f.scenario.label} | ${Math.round(f.rps).toLocaleString('en-US')} | ${f.p50} | ${f.p99} | ${
        f.scenario.key === 'a' ? '1.00' : (f.rps / bare).toFixed(2)
      } | ${f.non2xx} / ${f.errors} |`,
  );
  const b = figures.find((f) => f.scenario.key === 'b');
  const goal = b
    ? `Goal (b) >= 40% of bare yoga: ${((b.rps / bare) * 100).toFixed(0)}% - ${b.rps / bare >= 0.4 ? 'met' : 'NOT met'}.`
    : '';
  return `${header}\n${rows.join('\n')}\n\n${goal}`;
}

async function writeReadme(table: string): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const section = `${SECTION}

\`npm run bench:server\` (bench/server.ts): autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per scenario after a ${WARMUP_S} s warm-up,
each server alone in its own process on 127.0.0.1, autocannon in another. Demo config, cache warmed before measuring,
request logs off (\`LOG_LEVEL=warn\`). Requests slower than autocannon's 10 s timeout count as errors.
Run ${new Date().toISOString().slice(0, 16)}Z on Node ${process.version}, ${cpus().length} x ${cpu}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end (other work on the machine skews absolute figures; the ratios less so).

${table}
`;
  const current = await readFile(README, 'utf8').catch(() => '# Benchmarks\n');
  // Replace only our own section (up to the next "## " heading); the other sections belong to others.
  const start = current.indexOf(`\n${SECTION}\n`);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + 1);
    next = `${current.slice(0, start + 1)}${section}${after === -1 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  await writeFile(README, next);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-bench-'));
  const figures: Figures[] = [];
  try {
    for (const role of ['bare', 'cachegate'] as const) {
      const { child, url } = await startServer(role, dir);
      try {
        for (const scenario of SCENARIOS.filter((s) => s.role === role)) {
          console.error(`(${scenario.key}) ${scenario.label}: ${DURATION_S} s...`);
          figures.push(await measure(scenario, url));
        }
      } finally {
        await stopServer(child);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const table = report(figures);
  console.log(table);
  await writeReadme(table);
  console.error(`wrote the "${SECTION.slice(3)}" section of ${README}`);
}

const roleAt = process.argv.indexOf('--role');
if (roleAt === -1) {
  await main();
} else {
  const dirAt = process.argv.indexOf('--dir');
  await serve(
    process.argv[roleAt + 1] === 'cachegate' ? 'cachegate' : 'bare',
    process.argv[dirAt + 1] ?? tmpdir(),
  );
}
