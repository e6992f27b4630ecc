/**
 * The Redis fetch locks against a real Redis: claims are atomic per owner, released by their
 * owner only, renewed while held, and waited for until released, expired or the wait bound;
 * an unreachable Redis falls open with one warning.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisFetchLocks, type RedisLockOptions } from '../../src/fetch/redis-locks.js';
import { closedRedisUrl, lockPrefix, noRedis, REDIS_URL } from '../helpers/redis.js';

const open: RedisFetchLocks[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function locks(namespace: string, options: Partial<RedisLockOptions> = {}): RedisFetchLocks {
  const l = new RedisFetchLocks({ url: REDIS_URL!, namespace, ...options });
  open.push(l);
  return l;
}

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(from + i));

/** Resolves once `key` no longer exists (it expired), checking every 20 ms. */
async function gone(redis: Redis, key: string): Promise<void> {
  while ((await redis.exists(key)) === 1) await new Promise((r) => setTimeout(r, 20));
}

describe.skipIf(noRedis)('Redis fetch locks', () => {
  const redis = noRedis ? undefined : new Redis(REDIS_URL!);
  afterAll(async () => {
    await redis?.quit();
  });

  it('claims free IDs and names those another owner holds, 10,000 IDs at once', async () => {
    const ns = lockPrefix();
    const a = locks(ns);
    const b = locks(ns);
    const first = await a.claim('movies', ids(10_000));
    expect(first.held).toEqual([]);
    expect(first.shared).toBe(true);
    // Two scripts of 1,000 keys: 8501..10000 are a's; 10001..10500 were free and are b's now.
    const second = await b.claim('movies', ids(2_000, 8_501));
    expect(second.held).toEqual(ids(1_500, 8_501));
    expect(await redis!.exists(a.key('movies', '10500'))).toBe(1);
    await first.release();
    // b's release leaves a's former keys alone (they are gone already) and drops its own.
    await second.release();
    expect(await redis!.exists(...ids(10_500).map((id) => a.key('movies', id)))).toBe(0);
  });

  it('keeps tables and namespaces apart', async () => {
    const ns = lockPrefix();
    const a = await locks(ns).claim('movies', ['1']);
    expect((await locks(ns).claim('people', ['1'])).held).toEqual([]);
    expect((await locks(lockPrefix()).claim('movies', ['1'])).held).toEqual([]);
    expect((await locks(ns).claim('movies', ['1'])).held).toEqual(['1']);
    await a.release();
  });

  it('a late release of an expired claim does not delete the new holder’s key', async () => {
    const ns = lockPrefix();
    const slow = locks(ns, { ttlMs: 200 });
    const lease = await slow.claim('movies', ['7']);
    // The holder stalls past its TTL without renewing (as if paused or partitioned).
    (lease as unknown as { stopRenewing(): void }).stopRenewing();
    await gone(redis!, slow.key('movies', '7'));
    const next = await locks(ns).claim('movies', ['7']);
    expect(next.held).toEqual([]);
    await lease.release();
    expect(await redis!.exists(slow.key('movies', '7'))).toBe(1);
    expect((await locks(ns).claim('movies', ['7'])).held).toEqual(['7']);
    await next.release();
    expect(await redis!.exists(slow.key('movies', '7'))).toBe(0);
  });

  it('renews a claim while it is held', async () => {
    const ns = lockPrefix();
    const l = locks(ns, { ttlMs: 300 });
    const lease = await l.claim('movies', ['1']);
    // Three TTLs later the key is still there: renewed every TTL/3.
    await new Promise((r) => setTimeout(r, 900));
    expect(await redis!.exists(l.key('movies', '1'))).toBe(1);
    expect(await redis!.pttl(l.key('movies', '1'))).toBeGreaterThan(0);
    await lease.release();
    expect(await redis!.exists(l.key('movies', '1'))).toBe(0);
  });

  it('a waiter wakes on the release message (polling is off here)', async () => {
    const ns = lockPrefix();
    const holder = await locks(ns).claim('movies', ids(3));
    const waiter = locks(ns, { pollMs: 600_000, maxWaitMs: 600_000 });
    let woke = false;
    const waiting = waiter.waitFor('movies', ids(3), new AbortController().signal).then(() => {
      woke = true;
    });
    // Give the waiter time to subscribe and check once: it must still be waiting.
    await new Promise((r) => setTimeout(r, 200));
    expect(woke).toBe(false);
    await holder.release();
    await waiting;
    expect(woke).toBe(true);
  });

  it('a waiter takes over when the holder’s key expires (it died without releasing)', async () => {
    const ns = lockPrefix();
    const dying = locks(ns, { ttlMs: 300 });
    const lease = await dying.claim('movies', ['1', '2']);
    (lease as unknown as { stopRenewing(): void }).stopRenewing();
    const waiter = locks(ns, { pollMs: 50, maxWaitMs: 600_000 });
    await waiter.waitFor('movies', ['1', '2'], new AbortController().signal);
    expect(await redis!.exists(dying.key('movies', '1'), dying.key('movies', '2'))).toBe(0);
    expect(waiter.status().waitsTimedOut).toBe(0);
  });

  it('a wait is bounded: a holder that keeps renewing is waited for maxWaitMs at most', async () => {
    const ns = lockPrefix();
    const lease = await locks(ns).claim('movies', ['1']);
    const waiter = locks(ns, { pollMs: 50, maxWaitMs: 300 });
    await waiter.waitFor('movies', ['1'], new AbortController().signal);
    expect(waiter.status().waitsTimedOut).toBe(1);
    expect(await redis!.exists(waiter.key('movies', '1'))).toBe(1);
    await lease.release();
  });

  it('close() releases the claims still held', async () => {
    const l = locks(lockPrefix());
    await l.claim('movies', ['1', '2']);
    await l.close();
    expect(await redis!.exists(l.key('movies', '1'), l.key('movies', '2'))).toBe(0);
  });

  it('a wait ends on abort', async () => {
    const ns = lockPrefix();
    const lease = await locks(ns).claim('movies', ['1']);
    const abort = new AbortController();
    const waiting = locks(ns, { pollMs: 600_000, maxWaitMs: 600_000 }).waitFor('movies', ['1'], abort.signal);
    abort.abort();
    await waiting;
    await lease.release();
  });
});

describe('Redis fetch locks with Redis unreachable', () => {
  it('fall open: nothing is held, nothing waited for, one warning per outage', async () => {
    const warnings: string[] = [];
    const l = new RedisFetchLocks({
      url: await closedRedisUrl(),
      namespace: lockPrefix(),
      callTimeoutMs: 500,
      onWarning: (m) => warnings.push(m),
    });
    try {
      for (let i = 0; i < 5; i++) {
        const lease = await l.claim('movies', ids(100));
        expect(lease.held).toEqual([]);
        expect(lease.shared).toBe(false);
        await lease.release();
        await l.waitFor('movies', ids(100), new AbortController().signal);
      }
      expect(l.status().state).toBe('down');
      expect(l.status().errors).toBeGreaterThan(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/fetch locks in Redis \(redis:\/\/127\.0\.0\.1:\d+\/?\) failed/);
    } finally {
      await l.close();
    }
  });
});
