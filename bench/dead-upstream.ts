/**
 * Upstream attempts against a dead PostgreSQL (`npm run bench:dead-upstream`): a real cachegate
 * server on 127.0.0.1 whose `movies` table reads PostgreSQL at a port where nothing listens,
 * queried at RATE requests/s for DURATION seconds, each request asking for a new (cold) ID.
 * Prints how many calls reached the upstream (each one a connection attempt: the pool never
 * connects), once with the circuit breaker off (what happened before it existed) and once on.
 * Env: DEAD_DURATION_S (30), DEAD_RATE (10), DEAD_URL (postgres://postgres@127.0.0.1:1/x),
 * DEAD_COMPARE=0 to skip the breaker-off run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { buildApp } from '../src/server/app.js';

const DURATION_S = Number(process.env['DEAD_DURATION_S'] ?? 30);
const RATE = Number(process.env['DEAD_RATE'] ?? 10);
const URL_ = process.env['DEAD_URL'] ?? 'postgres://postgres@127.0.0.1:1/x';
const COMPARE = process.env['DEAD_COMPARE'] !== '0';

interface Run {
  label: string;
  sent: number;
  answered: number;
  attempts: number;
  rejected: number;
  byReason: Map<string, number>;
  p50: number;
  p99: number;
}

async function run(label: string, breaker: false | undefined): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-dead-'));
  const config = parseConfig(
    {
      cacheDir: join(dir, 'cache'),
      tables: {
        movies: {
          source: {
            kind: 'postgres',
            url: URL_,
            table: 'movies',
            ...(breaker === false ? { breaker: false } : {}),
          },
          columns: { title: 'String' },
        },
      },
    },
    dir,
  );
  const app = buildApp({ config, logger: pino({ level: 'silent' }) });
  const { url } = await app.start(0, '127.0.0.1');
  const byReason = new Map<string, number>();
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  let answered = 0;
  const ask = async (id: number): Promise<void> => {
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ movies(ids: ["${id}"]) { id title } }` }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    latencies.push(performance.now() - started);
    answered++;
    const ext = body.errors?.[0]?.extensions;
    const key = ext ? `${String(ext['code'])}${ext['reason'] ? ` ${String(ext['reason'])}` : ''}` : 'ok';
    byReason.set(key, (byReason.get(key) ?? 0) + 1);
  };
  const total = Math.round(DURATION_S * RATE);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    // Open loop at a fixed rate: a slow answer does not slow the next request down.
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(ask(i + 1).catch(() => undefined));
  }
  await Promise.all(pending);
  const [movies] = await app.cache.health(2_000);
  await app.stop();
  await rm(dir, { recursive: true, force: true });
  if (movies === undefined) throw new Error('no source health for movies');
  // The health probe itself was either refused by the open breaker or was one more call.
  const probeCalled = movies.reason !== 'CIRCUIT_OPEN';
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    label,
    sent: total,
    answered,
    attempts: movies.calls - (probeCalled ? 1 : 0),
    rejected: movies.rejected - (probeCalled ? 0 : 1),
    byReason,
    p50: at(0.5),
    p99: at(0.99),
  };
}

const runs: Run[] = [];
if (COMPARE) runs.push(await run('breaker off (before)', false));
runs.push(await run('breaker on (default config)', undefined));

console.log(
  `\nDead upstream ${URL_}: ${RATE} requests/s for ${DURATION_S} s, one new id per request (Node ${process.version})\n`,
);
console.log('| run | requests | upstream attempts | failed fast | answers | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---|---:|---:|');
for (const r of runs) {
  const answers = [...r.byReason].map(([k, n]) => `${k}: ${n}`).join(', ');
  console.log(
    `| ${r.label} | ${r.sent} | ${r.attempts} | ${r.rejected} | ${answers} | ${r.p50} | ${r.p99} |`,
  );
}
const on = runs.at(-1)!;
// The issue's goal is for 30 s; a shorter run makes fewer attempts, so the bound still applies.
const GOAL = 20;
console.log(
  `\nGoal: <= ${GOAL} attempts in 30 s: ${on.attempts <= GOAL ? 'met' : 'NOT met'} (${on.attempts} in ${DURATION_S} s).`,
);
process.exit(on.attempts <= GOAL ? 0 : 1);
