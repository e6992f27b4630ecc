/**
 * Cost of the cross-replica fetch locks (`npm run bench:locks`), against the Redis at REDIS_URL
 * (default redis://127.0.0.1:6379).
 * 1. Redis calls: one claim / release / renew / wait check of 1, 100 and 10,000 IDs (one Lua
 *    script each), against a PING round trip and against per-ID alternatives (a pipeline of
 *    SET NX PX, and one awaited SET per ID), all measured in the same run.
 * 2. Through the engine: a cold getData of 1 and of 1,000 IDs (upstream 5 ms per call) with and
 *    without locks, runs alternating, each on fresh IDs.
 * Env: LOCKS_RUNS (30).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCache } from '../src/engine/cache.js';
import { RedisFetchLocks } from '../src/fetch/redis-locks.js';
import type { Fetcher } from '../src/sources/types.js';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const RUNS = Number(process.env['LOCKS_RUNS'] ?? 30);

const ids = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

function stats(ms: number[]): { p50: number; p90: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p90: at(0.9) };
}

async function time(
  runs: number,
  once: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < 3; i++) await once(-1 - i);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await once(i);
    ms.push(performance.now() - t);
  }
  return stats(ms);
}

const rows: Array<[string, { p50: number; p90: number }]> = [];
const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

async function redisCalls(): Promise<void> {
  const ns = `bench-${randomUUID()}`;
  const locks = new RedisFetchLocks({ url: REDIS_URL, namespace: ns });
  const other = new RedisFetchLocks({ url: REDIS_URL, namespace: ns });
  const raw = new Redis(REDIS_URL);
  rows.push(['PING (one round trip)', await time(RUNS, () => raw.ping())]);
  for (const n of [1, 100, 10_000]) {
    const leases: Array<Awaited<ReturnType<RedisFetchLocks['claim']>>> = [];
    rows.push([
      `claim ${n.toLocaleString('en')} free IDs (Lua)`,
      await time(RUNS, async (i) => leases.push(await locks.claim('movies', ids(n, `c${n}-${i}`)))),
    ]);
    rows.push([
      `claim ${n.toLocaleString('en')} IDs all held by another owner (Lua)`,
      await time(RUNS, (i) => other.claim('movies', ids(n, `c${n}-${Math.max(i, 0)}`))),
    ]);
    const held = leases;
    rows.push([
      `waitFor check of ${n.toLocaleString('en')} held IDs (EXISTS)`,
      await time(RUNS, (i) =>
        raw.exists(...ids(n, `c${n}-${Math.max(i, 0)}`).map((id) => locks.key('movies', id))),
      ),
    ]);
    rows.push([
      `renew ${n.toLocaleString('en')} IDs (Lua)`,
      await time(RUNS, (i) => locks.renew('movies', ids(n, `c${n}-${Math.max(i, 0)}`), 'nobody')),
    ]);
    let k = 0;
    rows.push([
      `release ${n.toLocaleString('en')} IDs (Lua, compare-and-delete + publish)`,
      await time(RUNS, async () => {
        const lease = held[k++ % held.length]!;
        await lease.release();
      }),
    ]);
    for (const lease of leases) await lease.release();
  }
  rows.push([
    'per-ID alternative: pipeline of 10,000 SET NX PX',
    await time(RUNS, (i) => {
      const p = raw.pipeline();
      for (const id of ids(10_000, `p-${i}`)) p.set(`cachegate:bench:${ns}:${id}`, 'x', 'PX', 15_000, 'NX');
      return p.exec();
    }),
  ]);
  rows.push([
    'per-ID alternative: 10,000 SET NX PX awaited one by one',
    await time(3, async (i) => {
      for (const id of ids(10_000, `s-${i}`))
        await raw.set(`cachegate:bench:${ns}:${id}`, 'x', 'PX', 15_000, 'NX');
    }),
  ]);
  await Promise.all([locks.close(), other.close()]);
  await raw.quit();
}

async function engine(): Promise<void> {
  const fetcher: Fetcher = async (batch, columns) => {
    await new Promise((r) => setTimeout(r, 5));
    return batch.map((id) => Object.fromEntries([['id', id], ...columns.map((c) => [c, `v${id}`])]));
  };
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-locks-'));
  try {
    const plain = createCache({ cacheDir: join(dir, 'plain'), tables: {} });
    const locked = createCache({
      cacheDir: join(dir, 'locked'),
      tables: {},
      fetchLocks: { redisUrl: REDIS_URL, prefix: `bench-${randomUUID()}` },
    });
    for (const n of [1, 1_000]) {
      const runs = n === 1 ? RUNS : Math.max(5, Math.round(RUNS / 3));
      const ms = { plain: [] as number[], locked: [] as number[] };
      for (let i = -2; i < runs; i++) {
        for (const [name, cache] of [
          ['plain', plain],
          ['locked', locked],
        ] as const) {
          const t = performance.now();
          await cache.getData('things', ids(n, `${name}-${n}-${i}`), ['v'], { fetcher });
          if (i >= 0) ms[name].push(performance.now() - t);
        }
      }
      rows.push([
        `getData ${n.toLocaleString('en')} cold IDs, no locks (upstream 5 ms/call)`,
        stats(ms.plain),
      ]);
      rows.push([`getData ${n.toLocaleString('en')} cold IDs, with Redis locks`, stats(ms.locked)]);
    }
    await Promise.all([plain.close(), locked.close()]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const loadStart = loadavg();
await redisCalls();
await engine();
const loadEnd = loadavg();
console.log(
  `bench:locks ${new Date().toISOString()} Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, runs ${RUNS}, load average ${loadStart.map((l) => l.toFixed(1)).join(' ')} -> ${loadEnd.map((l) => l.toFixed(1)).join(' ')}\n`,
);
console.log('| operation | p50 ms | p90 ms |\n|---|---:|---:|');
for (const [label, s] of rows) console.log(`| ${label} | ${fmt(s.p50)} | ${fmt(s.p90)} |`);
process.exit(0);
