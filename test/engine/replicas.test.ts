/**
 * Replicas sharing one cache folder with fetch locks in Redis (DESIGN §6): two engines (and,
 * for the SIGKILL case, two processes) on one folder, a real Redis, a counting upstream.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Fetcher } from '../../src/sources/types.js';
// After temp-dir: its caches close (and flush) before the folder is removed.
import { testCache } from '../helpers/cache.js';
import { createDeferred } from '../helpers/deferred.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { closedRedisUrl, lockPrefix, noRedis, REDIS_URL } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dir.js';

const range = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An upstream shared by every replica of a test: counts how often each ID reached it. */
function countingUpstream() {
  const counts = new Map<string, number>();
  const byReplica = new Map<string, number>();
  const fetcher =
    (replica: string): Fetcher =>
    async (ids, columns, ctx) => {
      // Slow enough that the replicas' batches overlap.
      await sleep(30);
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      byReplica.set(replica, (byReplica.get(replica) ?? 0) + ids.length);
      return recordingFetcher(movieRow).fetch(ids, columns, ctx);
    };
  return { counts, byReplica, fetcher };
}

const titles = (n: number) => range(n).map((id) => ({ id, title: `Movie ${id}` }));

describe.skipIf(noRedis)('replicas with fetch locks in Redis', () => {
  it('two replicas asked for the same 1,000 IDs at once: the upstream sees each ID once, both answer', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const fetchLocks = { redisUrl: REDIS_URL!, prefix: lockPrefix() };
    const a = testCache({ cacheDir, tables: {}, fetchLocks });
    const b = testCache({ cacheDir, tables: {}, fetchLocks });
    const up = countingUpstream();
    const [da, db] = await Promise.all([
      a.getData('movies', range(1_000), ['title'], { fetcher: up.fetcher('a') }),
      b.getData('movies', range(1_000), ['title'], { fetcher: up.fetcher('b') }),
    ]);
    expect(da.toRecords()).toEqual(titles(1_000));
    expect(db.toRecords()).toEqual(titles(1_000));
    expect(up.counts.size).toBe(1_000);
    expect([...up.counts.values()].every((n) => n === 1)).toBe(true);
    console.log(
      `same 1,000 ids on two replicas: upstream calls split ${JSON.stringify(Object.fromEntries(up.byReplica))}`,
    );
    expect(a.fetchLockStatus()).toMatchObject({ state: 'up', errors: 0 });
  });

  it('two replicas asking for 1,000 IDs in opposite orders both finish, each ID fetched once', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const fetchLocks = { redisUrl: REDIS_URL!, prefix: lockPrefix() };
    const a = testCache({ cacheDir, tables: {}, fetchLocks });
    const b = testCache({ cacheDir, tables: {}, fetchLocks });
    const up = countingUpstream();
    const [da, db] = await Promise.all([
      a.getData('movies', range(1_000), ['title'], { fetcher: up.fetcher('a') }),
      b.getData('movies', range(1_000).reverse(), ['title'], { fetcher: up.fetcher('b') }),
    ]);
    expect(da.toRecords()).toEqual(titles(1_000));
    expect(db.toRecords()).toEqual(titles(1_000).reverse());
    expect(up.counts.size).toBe(1_000);
    expect([...up.counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('without fetch locks the same two replicas fetch IDs twice (what the locks prevent)', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const a = testCache({ cacheDir, tables: {} });
    const b = testCache({ cacheDir, tables: {} });
    const up = countingUpstream();
    await Promise.all([
      a.getData('movies', range(1_000), ['title'], { fetcher: up.fetcher('a') }),
      b.getData('movies', range(1_000), ['title'], { fetcher: up.fetcher('b') }),
    ]);
    expect([...up.counts.values()].some((n) => n > 1)).toBe(true);
    expect(a.fetchLockStatus().state).toBe('off');
  });

  it('a holder whose batch fails releases its claims, and the waiting replica fetches the IDs itself', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const fetchLocks = { redisUrl: REDIS_URL!, prefix: lockPrefix() };
    const a = testCache({ cacheDir, tables: {}, fetchLocks });
    const b = testCache({ cacheDir, tables: {}, fetchLocks });
    const arrived = createDeferred();
    const gate = createDeferred();
    let aCalls = 0;
    const failing: Fetcher = async () => {
      aCalls++;
      arrived.resolve();
      await gate.promise;
      throw new Error('upstream down for replica a');
    };
    const up = countingUpstream();
    const aDone = a.getData('movies', range(100), ['title'], { fetcher: failing }).then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );
    await arrived.promise;
    // a holds all 100 IDs now: b's batch claims none of them and waits.
    const bDone = b.getData('movies', range(100), ['title'], { fetcher: up.fetcher('b') });
    await sleep(300);
    expect(up.counts.size).toBe(0);
    gate.resolve();
    expect((await bDone).toRecords()).toEqual(titles(100));
    expect(await aDone).toBe('UPSTREAM_FAILED');
    expect(aCalls).toBeGreaterThan(0);
    expect(up.counts.size).toBe(100);
  });

  it('a holder SIGKILLed mid-batch blocks the other replica for about one lock TTL, then it fetches', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const prefix = lockPrefix();
    const ttl = 2_000;
    const child = startReplica({
      CACHE_DIR: cacheDir,
      REDIS_URL: REDIS_URL!,
      LOCK_PREFIX: prefix,
      LOCK_TTL: `${ttl}ms`,
      COUNT: '100',
    });
    try {
      await child.fetching;
      const redis = new Redis(REDIS_URL!);
      const key = `cachegate:lock:{${prefix}:movies}:1`;
      expect(await redis.exists(key)).toBe(1);
      child.process.kill('SIGKILL');
      await child.exited;
      const killedAt = Date.now();
      // The dead holder's key is still there: the survivor must wait for it to expire.
      const left = await redis.pttl(key);
      await redis.quit();
      expect(left).toBeGreaterThan(0);
      const b = testCache({
        cacheDir,
        tables: {},
        fetchLocks: { redisUrl: REDIS_URL!, prefix, ttl: `${ttl}ms` },
      });
      const up = countingUpstream();
      let firstCallAt = 0;
      const fetcher: Fetcher = (ids, columns, ctx) => {
        firstCallAt ||= Date.now();
        return up.fetcher('b')(ids, columns, ctx);
      };
      const df = await b.getData('movies', range(100), ['title'], { fetcher });
      const waited = firstCallAt - killedAt;
      console.log(
        `SIGKILLed holder: survivor's first upstream call ${waited} ms after the kill (key had ${left} ms left; lock TTL ${ttl} ms, poll 500 ms, bound TTL + poll)`,
      );
      expect(df.toRecords()).toEqual(titles(100));
      expect(up.counts.size).toBe(100);
      // Not before the dead holder's key expired; well before the 2-minute wait bound.
      expect(waited).toBeGreaterThanOrEqual(left - 50);
      expect(waited).toBeLessThan(60_000);
      expect(b.fetchLockStatus().waitsTimedOut).toBe(0);
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});

describe('replicas with Redis unreachable', () => {
  it('fall open: both replicas answer, the locks report down', async () => {
    const cacheDir = path.join(await tempDir(), 'cache');
    const fetchLocks = { redisUrl: await closedRedisUrl(), prefix: lockPrefix() };
    const a = testCache({ cacheDir, tables: {}, fetchLocks });
    const b = testCache({ cacheDir, tables: {}, fetchLocks });
    const up = countingUpstream();
    const [da, db] = await Promise.all([
      a.getData('movies', range(300), ['title'], { fetcher: up.fetcher('a') }),
      b.getData('movies', range(300), ['title'], { fetcher: up.fetcher('b') }),
    ]);
    expect(da.toRecords()).toEqual(titles(300));
    expect(db.toRecords()).toEqual(titles(300));
    expect(a.fetchLockStatus().state).toBe('down');
    expect(b.fetchLockStatus().state).toBe('down');
  });
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const TSX = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function startReplica(env: Record<string, string>): {
  process: ChildProcess;
  fetching: Promise<void>;
  exited: Promise<void>;
} {
  const child = spawn(
    process.execPath,
    ['--import', TSX, path.join(root, 'test', 'engine', 'fixtures', 'replica.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const fetching = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      if (c.includes('FETCHING')) resolve();
    });
    void exited.then(() => reject(new Error(`replica exited before fetching: ${err}`)));
  });
  return { process: child, fetching, exited };
}
