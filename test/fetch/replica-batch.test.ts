/**
 * The coordinator's interleavings across replicas, one named test each: two coordinators (two
 * replicas) share an in-memory lock table and an in-memory cache whose commits are held by
 * deferreds, so every ordering is forced. The same logic against a real Redis and real Parquet
 * files is tested in test/engine/replicas.test.ts; here it is the order of steps that matters.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchConfig } from '../../src/config/types.js';
import { Coordinator, type FetchedBatch } from '../../src/fetch/coordinator.js';
import type { FetchLockStatus, FetchLocks, Lease } from '../../src/fetch/fetch-locks.js';
import { Jobs } from '../../src/fetch/jobs.js';
import type { ReplicaStore } from '../../src/fetch/replica-batch.js';
import { InFlight } from '../../src/fetch/single-flight.js';
import type { Fetcher } from '../../src/sources/types.js';
import { createDeferred, type Deferred } from '../helpers/deferred.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
const missing = (ids: readonly string[]) => new Map(ids.map((id) => [id, ['title']]));
const policy: BatchConfig = { concurrency: 1, retries: 0, timeoutMs: 60_000, backoffMs: 1 };

/** One lock table for every replica of a test, as Redis would be. */
class SharedLocks {
  readonly owners = new Map<string, string>();
  readonly log: string[] = [];
  private wakers = new Set<() => void>();

  replica(name: string): FetchLocks {
    return {
      claim: async (table, ids) => {
        const token = `${name}:${randomUUID()}`;
        const held: string[] = [];
        for (const id of ids) {
          const owner = this.owners.get(`${table}:${id}`);
          if (owner !== undefined && owner !== token) held.push(id);
          else this.owners.set(`${table}:${id}`, token);
        }
        this.log.push(`${name} claims ${ids.length}, ${held.length} held`);
        const lease: Lease = {
          held,
          shared: true,
          release: async () => {
            const mine = ids.filter((id) => this.owners.get(`${table}:${id}`) === token);
            for (const id of mine) this.owners.delete(`${table}:${id}`);
            this.log.push(`${name} releases ${mine.length}`);
            for (const wake of [...this.wakers]) wake();
          },
        };
        return lease;
      },
      waitFor: (table, ids, signal) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (signal.aborted || ids.every((id) => !this.owners.has(`${table}:${id}`))) {
              this.wakers.delete(check);
              resolve();
            }
          };
          this.wakers.add(check);
          check();
        }),
      status: (): FetchLockStatus => ({ state: 'up', errors: 0, waitsTimedOut: 0 }),
      close: async () => undefined,
    };
  }

  /** Makes the holder of `ids` vanish, as an expired key does. */
  expire(ids: readonly string[]): void {
    for (const id of ids) this.owners.delete(`movies:${id}`);
    for (const wake of [...this.wakers]) wake();
  }
}

/** A cache folder shared by the replicas: written rows become visible to others once committed. */
class SharedCache {
  readonly committed = new Set<string>();
  private pending = new Set<string>();
  private commits: Deferred<void>[] = [];

  /** The store of one replica; `durable()` waits until the test commits. */
  replica(): { write: (b: FetchedBatch) => Promise<void>; store: ReplicaStore } {
    return {
      write: async (b) => {
        for (const r of b.rows) this.pending.add(r['id'] as string);
        for (const id of b.notFound) this.pending.add(id);
      },
      store: {
        durable: () => {
          const d = createDeferred();
          this.commits.push(d);
          return d.promise;
        },
        stillMissing: async (ids) => ids.filter((id) => !this.committed.has(id)),
      },
    };
  }

  /** Commits what waits (a flush), resolving every durable() asked so far. */
  commit(): void {
    for (const id of this.pending) this.committed.add(id);
    this.pending.clear();
    for (const d of this.commits.splice(0)) d.resolve();
  }

  get waiting(): number {
    return this.commits.length;
  }
}

function replica(name: string, locks: SharedLocks, cache: SharedCache) {
  const coordinator = new Coordinator(new Jobs(), new InFlight(), locks.replica(name));
  const { write, store } = cache.replica();
  const abort = new AbortController();
  return (ids: readonly string[], fetcher: Fetcher) =>
    coordinator.start({
      table: 'movies',
      missing: missing(ids),
      fetcher,
      write,
      replica: store,
      policy,
      signal: abort.signal,
    });
}

/** A recording fetcher whose calls wait until the test opens them. */
function heldFetcher() {
  const rec = recordingFetcher(movieRow);
  const calls: string[][] = [];
  const arrived: Deferred<void>[] = [];
  const gates: Deferred<void>[] = [];
  const at = (list: Deferred<void>[], i: number) => {
    list[i] ??= createDeferred();
    return list[i]!;
  };
  let n = 0;
  const fetch: Fetcher = async (ids, columns, ctx) => {
    const i = n++;
    calls.push([...ids]);
    at(arrived, i).resolve();
    await at(gates, i).promise;
    return rec.fetch(ids, columns, ctx);
  };
  return {
    fetch,
    /** IDs of each call, recorded when it starts. */
    calls,
    arrived: (i: number) => at(arrived, i).promise,
    open: (i: number) => at(gates, i).resolve(),
    fail: (i: number) => at(gates, i).reject(new Error('upstream down')),
  };
}

/**
 * Replica "a" claims `ids` and waits in its upstream call; `fail()` then fails that call and the
 * two halves it is split into (isolate.ts), and resolves with a's outcome.
 */
async function failingHolder(locks: SharedLocks, cache: SharedCache, ids: readonly string[]) {
  const up = heldFetcher();
  const a = replica('a', locks, cache)(ids, up.fetch);
  await up.arrived(0);
  return {
    fail: async () => {
      up.fail(0);
      await up.arrived(1);
      up.fail(1);
      await up.arrived(2);
      up.fail(2);
      return a.done;
    },
  };
}

/** Lets queued promise callbacks run (no timers involved). */
const settle = () => new Promise((r) => setImmediate(r));

describe('coordinator across replicas', () => {
  it('IDs another replica holds are not fetched; its rows are read once released', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const upA = heldFetcher();
    const upB = recordingFetcher(movieRow);
    const a = replica('a', locks, cache)(range(1, 100), upA.fetch);
    await upA.arrived(0);
    const b = replica('b', locks, cache)(range(1, 100), upB.fetch);
    await settle();
    upA.open(0);
    while (cache.waiting === 0) await settle();
    cache.commit();
    const outcome = await b.done;
    await a.done;
    expect(upB.calls).toEqual([]);
    expect(outcome.failures.size).toBe(0);
  });

  it('a batch releases its claims only after its rows are committed; its own caller is answered before', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const upA = heldFetcher();
    const a = replica('a', locks, cache)(range(1, 100), upA.fetch);
    await upA.arrived(0);
    upA.open(0);
    // Written (this process reads them from its write buffer) and waiting for the flush.
    expect((await a.done).failures.size).toBe(0);
    expect(cache.waiting).toBe(1);
    expect(locks.owners.size).toBe(100);
    expect(locks.log).toEqual(['a claims 100, 0 held']);
    cache.commit();
    while (locks.owners.size > 0) await settle();
    expect(locks.log).toEqual(['a claims 100, 0 held', 'a releases 100']);
  });

  it('the free part of a batch is fetched at once; the held part after its holder releases', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const upA = heldFetcher();
    const upB = heldFetcher();
    const a = replica('a', locks, cache)(range(1, 50), upA.fetch);
    await upA.arrived(0);
    const b = replica('b', locks, cache)(range(1, 100), upB.fetch);
    await upB.arrived(0);
    expect(upB.calls).toEqual([range(51, 100)]);
    upB.open(0);
    upA.open(0);
    while (cache.waiting < 2) await settle();
    cache.commit();
    await Promise.all([a.done, b.done]);
    expect(upB.calls).toHaveLength(1);
  });

  it('a holder that failed releases; the waiter fetches what is still missing itself', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const holder = await failingHolder(locks, cache, range(1, 100));
    const upB = recordingFetcher(movieRow);
    const b = replica('b', locks, cache)(range(1, 100), upB.fetch);
    const failed = await holder.fail();
    expect(failed.failures.size).toBe(100);
    while (cache.waiting === 0) await settle();
    cache.commit();
    const outcome = await b.done;
    expect(outcome.failures.size).toBe(0);
    expect(upB.calls.map((c) => c.ids)).toEqual([range(1, 100)]);
    expect(cache.committed.size).toBe(100);
  });

  it('IDs handed over by a holder that failed are fetched apart when one of them fails the batch', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const holder = await failingHolder(locks, cache, range(1, 100));
    // The upstream of the taker refuses every call that holds ID 42.
    const upB = recordingFetcher(movieRow, { failOn: (call) => call.ids.includes('42') });
    const b = replica('b', locks, cache)(range(1, 100), upB.fetch);
    expect((await holder.fail()).failures.size).toBe(100);
    const timer = setInterval(() => cache.commit(), 5);
    try {
      const outcome = await b.done;
      // Only 42 fails: the other 99 handed over are fetched and written.
      expect([...outcome.failures.keys()]).toEqual(['42']);
    } finally {
      clearInterval(timer);
    }
    expect(cache.committed.size).toBe(99);
    expect(cache.committed.has('42')).toBe(false);
  });

  it('a holder that died (its claims expired) is taken over; the taker claims the IDs first', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const dead = heldFetcher();
    void replica('a', locks, cache)(range(1, 10), dead.fetch);
    await dead.arrived(0);
    const upB = recordingFetcher(movieRow);
    const b = replica('b', locks, cache)(range(1, 10), upB.fetch);
    await settle();
    expect(upB.calls).toEqual([]);
    locks.expire(range(1, 10));
    while (cache.waiting === 0) await settle();
    expect(upB.calls.map((c) => c.ids)).toEqual([range(1, 10)]);
    expect(locks.log.at(-1)).toBe('b claims 10, 0 held');
    cache.commit();
    await b.done;
  });

  it('a local caller waiting on a batch whose IDs another replica held resumes only after the handover', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const upA = heldFetcher();
    const a = replica('a', locks, cache)(range(1, 10), upA.fetch);
    await upA.arrived(0);
    const bReplica = replica('b', locks, cache);
    const upB = recordingFetcher(movieRow);
    const b1 = bReplica(range(1, 10), upB.fetch);
    const b2 = bReplica(range(1, 10), upB.fetch);
    let b2Done = false;
    void b2.done.then(() => {
      b2Done = true;
    });
    await settle();
    expect(b2Done).toBe(false);
    upA.open(0);
    while (cache.waiting === 0) await settle();
    expect(b2Done).toBe(false);
    cache.commit();
    await Promise.all([a.done, b1.done, b2.done]);
    expect(upB.calls).toEqual([]);
  });

  it('two replicas asking in opposite orders both finish, each ID fetched once', async () => {
    const locks = new SharedLocks();
    const cache = new SharedCache();
    const seen = new Map<string, number>();
    const counting: Fetcher = async (ids, columns, ctx) => {
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
      // Commit on every upstream call, as a timed flush would.
      setImmediate(() => cache.commit());
      return recordingFetcher(movieRow).fetch(ids, columns, ctx);
    };
    const timer = setInterval(() => cache.commit(), 5);
    try {
      const a = replica('a', locks, cache)(range(1, 1_000), counting);
      const b = replica('b', locks, cache)(range(1, 1_000).reverse(), counting);
      await Promise.all([a.done, b.done]);
    } finally {
      clearInterval(timer);
    }
    expect(seen.size).toBe(1_000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
