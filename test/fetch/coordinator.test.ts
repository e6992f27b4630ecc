/**
 * The coordinator's interleavings, one named test each. Upstream calls and store writes are held
 * by deferreds, so every ordering is forced, never waited for with a sleep.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BatchConfig } from '../../src/config/types.js';
import type { FetchProgress } from '../../src/engine/types.js';
import { batchSize } from '../../src/fetch/batch-plan.js';
import {
  Coordinator,
  type FetchedBatch,
  type FetchRequest,
  type MissingWindows,
} from '../../src/fetch/coordinator.js';
import { Jobs } from '../../src/fetch/jobs.js';
import { InFlight } from '../../src/fetch/single-flight.js';
import type { Fetcher } from '../../src/sources/types.js';
import { createDeferred, type Deferred } from '../helpers/deferred.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

const policy: BatchConfig = { concurrency: 1, retries: 0, timeoutMs: 60_000, backoffMs: 1 };

function missing(ids: readonly string[], columns: readonly string[] = ['title']): Map<string, string[]> {
  return new Map(ids.map((id) => [id, [...columns]]));
}

/** Deferreds created on first use, by index: the n-th call, the n-th write. */
function slots<T = void>() {
  const all: Deferred<T>[] = [];
  return (i: number): Deferred<T> => {
    all[i] ??= createDeferred<T>();
    return all[i]!;
  };
}

/** A recording fetcher whose n-th call starts (`arrived`) and then waits until `open(n)`. */
function heldFetcher(rowFor = movieRow) {
  const rec = recordingFetcher(rowFor);
  const arrived = slots();
  const gate = slots();
  const log: string[] = [];
  let n = 0;
  const fetch: Fetcher = async (ids, columns, ctx) => {
    const i = n++;
    log.push(`fetch ${i} start`);
    arrived(i).resolve();
    await gate(i).promise;
    return rec.fetch(ids, columns, ctx);
  };
  return {
    fetch,
    calls: rec.calls,
    log,
    count: () => n,
    arrived: (i: number) => arrived(i).promise,
    open: (i: number) => gate(i).resolve(),
    fail: (i: number, e: Error) => gate(i).reject(e),
  };
}

/** A store whose n-th write waits until `finish(n)` (or `refuse(n)`); `held: false` lets all through. */
function heldStore(options: { held?: boolean; log?: string[] } = {}) {
  const held = options.held ?? true;
  const arrived = slots();
  const gate = slots();
  const written: FetchedBatch[] = [];
  const log = options.log ?? [];
  let n = 0;
  const write = async (batch: FetchedBatch): Promise<void> => {
    const i = n++;
    log.push(`write ${i} start`);
    arrived(i).resolve();
    if (held) await gate(i).promise;
    written.push(batch);
    log.push(`write ${i} end`);
  };
  return {
    write,
    written,
    arrived: (i: number) => arrived(i).promise,
    finish: (i: number) => gate(i).resolve(),
    refuse: (i: number, e: Error) => gate(i).reject(e),
  };
}

function setup(maxClaims?: number) {
  const jobs = new Jobs();
  const inFlight = new InFlight(maxClaims);
  const coordinator = new Coordinator(jobs, inFlight);
  const abort = new AbortController();
  const request = (over: Partial<FetchRequest> & Pick<FetchRequest, 'missing' | 'fetcher' | 'write'>) =>
    coordinator.start({ table: 'movies', policy, signal: abort.signal, ...over });
  return { jobs, inFlight, coordinator, abort, request };
}

/** Records whether a promise has settled, without waiting for it. */
function watch(p: Promise<unknown>): { settled: () => boolean } {
  let done = false;
  void p.then(() => {
    done = true;
  });
  return { settled: () => done };
}

describe('Coordinator', () => {
  it('a waiter on batch-1 ids resolves while batch 2 is still pending', async () => {
    const { request, jobs } = setup();
    const up = heldFetcher();
    const store = heldStore({ held: false });
    const a = request({ missing: missing(range(1, 200)), fetcher: up.fetch, write: store.write });
    await up.arrived(0);
    const other = heldFetcher();
    const onBatch1 = request({ missing: missing(['5']), fetcher: other.fetch, write: store.write });
    const onBatch2 = request({ missing: missing(['150']), fetcher: other.fetch, write: store.write });
    expect(onBatch1.first).toBeUndefined();
    const batch2Waiter = watch(onBatch2.done);
    up.open(0);
    await onBatch1.done;
    // Batch 1 is in the store; batch 2 is still at the upstream, and its waiter still waits.
    await up.arrived(1);
    expect(store.written.map((b) => b.rows.length)).toEqual([100]);
    expect(batch2Waiter.settled()).toBe(false);
    expect(jobs.get(a.first!.jobId)?.status).toBe('RUNNING');
    up.open(1);
    await Promise.all([a.done, onBatch2.done]);
    expect(other.count()).toBe(0);
  });

  it('owner tokens: after a failed first batch, a second request claiming its id and the first job ending, a third request does not fetch again', async () => {
    const { request, inFlight } = setup();
    const store = heldStore({ held: false });
    const first = heldFetcher();
    const a = request({ missing: missing(range(1, 200)), fetcher: first.fetch, write: store.write });
    await first.arrived(0);
    first.fail(0, new Error('connection reset'));
    // The failed batch is split to isolate a bad id (isolate.ts): both halves fail too.
    await first.arrived(1);
    first.fail(1, new Error('connection reset'));
    await first.arrived(2);
    first.fail(2, new Error('connection reset'));
    await first.arrived(3);
    // Batch 1 failed and released "1"; a second request claims it and is still fetching.
    const second = heldFetcher();
    const b = request({ missing: missing(['1']), fetcher: second.fetch, write: store.write });
    expect(b.first).toBeDefined();
    await second.arrived(0);
    // The first job ends: its final release must not drop the second request's claim.
    first.open(3);
    const outcomeA = await a.done;
    expect(outcomeA.failures.size).toBe(100);
    const third = heldFetcher();
    const c = request({ missing: missing(['1']), fetcher: third.fetch, write: store.write });
    expect(c.first).toBeUndefined();
    second.open(0);
    await Promise.all([b.done, c.done]);
    expect(third.count()).toBe(0);
    expect(inFlight.size).toBe(0);
  });

  it('a claim step that throws leaves no claim, and the next request fetches those ids', async () => {
    const { request, inFlight } = setup();
    const store = heldStore({ held: false });
    const broken = new Map(missing(range(1, 10)));
    const entries = broken.entries.bind(broken);
    // Iteration fails half-way, after some ids were seen.
    broken[Symbol.iterator] = function* (): MapIterator<[string, string[]]> {
      let k = 0;
      for (const e of entries()) {
        if (++k > 5) throw new RangeError('Map maximum size exceeded');
        yield e;
      }
    };
    const up = recordingFetcher(movieRow);
    expect(() => request({ missing: broken, fetcher: up.fetch, write: store.write })).toThrow(RangeError);
    expect(inFlight.size).toBe(0);
    const next = request({ missing: missing(range(1, 10)), fetcher: up.fetch, write: store.write });
    expect((await next.done).failures.size).toBe(0);
    expect(up.calls.map((c) => c.ids)).toEqual([range(1, 10)]);
  });

  it('claims are bounded: ids past the bound are fetched without a claim and nothing hangs', async () => {
    const { request, inFlight } = setup(150);
    const store = heldStore({ held: false });
    const up = heldFetcher();
    const a = request({ missing: missing(range(1, 200)), fetcher: up.fetch, write: store.write });
    expect(inFlight.size).toBe(150);
    await up.arrived(0);
    const other = recordingFetcher(movieRow);
    const b = request({ missing: missing(range(190, 200)), fetcher: other.fetch, write: store.write });
    await b.done;
    expect(other.calls.map((c) => c.ids)).toEqual([range(190, 200)]);
    up.open(0);
    await up.arrived(1);
    up.open(1);
    await a.done;
    expect(inFlight.size).toBe(0);
  });

  it('a rejected write fails only its batch and releases its claims at once', async () => {
    const { request, inFlight } = setup();
    const up = heldFetcher();
    const store = heldStore();
    const events: FetchProgress[] = [];
    const twoDone = createDeferred();
    const a = request({
      missing: missing(range(1, 300)),
      fetcher: up.fetch,
      write: store.write,
      onProgress: (e) => {
        events.push(e);
        if (e.batchesDone === 2) twoDone.resolve();
      },
    });
    up.open(0);
    await store.arrived(0);
    store.finish(0);
    up.open(1);
    await store.arrived(1);
    store.refuse(1, new Error('type conflict in column "title"'));
    await twoDone.promise;
    // Batch 2's claims are gone while batch 3 is still at the upstream: a new caller fetches them.
    expect(inFlight.size).toBe(100);
    const retry = recordingFetcher(movieRow);
    const again = request({
      missing: missing(['150']),
      fetcher: retry.fetch,
      write: heldStore({ held: false }).write,
    });
    await again.done;
    expect(retry.calls.map((c) => c.ids)).toEqual([['150']]);
    up.open(2);
    await store.arrived(2);
    store.finish(2);
    const outcome = await a.done;
    expect([...outcome.failures.keys()]).toEqual(range(101, 200));
    expect(outcome.failures.get('150')?.code).toBe('UPSTREAM_FAILED');
    expect(events.at(-1)).toMatchObject({
      status: 'PARTIAL',
      failedCount: 100,
      rowsFetched: 200,
      batchesDone: 3,
    });
    expect(events.at(-1)?.failedIds).toEqual(range(101, 200));
    expect(inFlight.size).toBe(0);
  });

  it('pipelining: the fetch of batch k+1 starts before the write of batch k resolves, one pending write per worker', async () => {
    const { request } = setup();
    const up = heldFetcher();
    const store = heldStore({ log: up.log });
    const a = request({ missing: missing(range(1, 300)), fetcher: up.fetch, write: store.write });
    up.open(0);
    await store.arrived(0);
    await up.arrived(1);
    expect(up.log).toEqual(['fetch 0 start', 'write 0 start', 'fetch 1 start']);
    // Batch 2 is fetched, but its write waits for write 1: never two writes pending.
    up.open(1);
    await new Promise((r) => setImmediate(r));
    expect(up.log).toEqual(['fetch 0 start', 'write 0 start', 'fetch 1 start']);
    store.finish(0);
    await store.arrived(1);
    await up.arrived(2);
    expect(up.log).toEqual([
      'fetch 0 start',
      'write 0 start',
      'fetch 1 start',
      'write 0 end',
      'write 1 start',
      'fetch 2 start',
    ]);
    up.open(2);
    store.finish(1);
    await store.arrived(2);
    store.finish(2);
    expect((await a.done).failures.size).toBe(0);
    expect(store.written.map((b) => b.rows[0]?.['id'])).toEqual(['1', '101', '201']);
  });

  it.each([
    [150, [100, 50]],
    [10_000, Array(100).fill(100)],
    [25_000, Array(100).fill(250)],
    [25_001, [...Array(99).fill(251), 152]],
  ])('exact batch counts: %i ids → max(100, ceil(n/100)) per batch', async (n, sizes) => {
    const { request } = setup();
    const up = recordingFetcher(movieRow);
    const run = request({
      missing: missing(range(1, n)),
      fetcher: up.fetch,
      write: heldStore({ held: false }).write,
    });
    await run.done;
    expect(up.calls.map((c) => c.ids.length)).toEqual(sizes);
    expect(up.calls.flatMap((c) => c.ids)).toEqual(range(1, n));
  });

  it('abort (close) fails the running and remaining batches and releases every claim', async () => {
    const { request, inFlight, abort } = setup();
    const up = heldFetcher();
    const events: FetchProgress[] = [];
    const a = request({
      missing: missing(range(1, 300)),
      fetcher: up.fetch,
      write: heldStore({ held: false }).write,
      onProgress: (e) => events.push(e),
    });
    const waiter = request({ missing: missing(['250']), fetcher: up.fetch, write: heldStore().write });
    await up.arrived(0);
    abort.abort(new Error('cache closed'));
    const [outcome] = await Promise.all([a.done, waiter.done]);
    expect(outcome.failures.size).toBe(300);
    expect(up.count()).toBe(1);
    expect(inFlight.size).toBe(0);
    expect(events.at(-1)).toMatchObject({ status: 'FAILED', failedCount: 300, batchesDone: 3 });
  });

  it('progress is a state: counts on every event, failed ids only on the final one, not-found ids counted apart', async () => {
    const { request, jobs } = setup();
    const up = recordingFetcher((id) => (Number(id) % 10 === 0 ? undefined : movieRow(id)), {
      failOn: (c) => c.batch === 2,
    });
    const events: FetchProgress[] = [];
    const run = request({
      missing: missing(range(1, 300)),
      fetcher: up.fetch,
      write: heldStore({ held: false }).write,
      onProgress: (e) => events.push(e),
    });
    const outcome = await run.done;
    expect(
      events.map((e) => [
        e.status,
        e.batchesDone,
        e.rowsFetched,
        e.failedCount,
        e.notFoundCount,
        e.failedIds.length,
      ]),
    ).toEqual([
      ['RUNNING', 0, 0, 0, 0, 0],
      ['RUNNING', 1, 90, 0, 10, 0],
      ['RUNNING', 2, 90, 100, 10, 0],
      ['PARTIAL', 3, 180, 100, 20, 100],
    ]);
    expect(jobs.get(outcome.jobId!)?.failedIds).toEqual(range(101, 200));
  });

  it('a job whose ids the upstream does not have SUCCEEDS with them counted as not found', async () => {
    const { request } = setup();
    const up = recordingFetcher(() => undefined);
    const events: FetchProgress[] = [];
    await request({
      missing: missing(range(1, 150)),
      fetcher: up.fetch,
      write: heldStore({ held: false }).write,
      onProgress: (e) => events.push(e),
    }).done;
    expect(events.at(-1)).toMatchObject({
      status: 'SUCCEEDED',
      notFoundCount: 150,
      failedCount: 0,
      failedIds: [],
    });
    expect(events.at(-1)?.message).toMatch(/150 of 150 ids do not exist upstream/);
  });

  describe('a large request, a window at a time', () => {
    /** Windows over `ids`, all missing, as engine/windows.ts makes them after its first pass. */
    function windowsOf(ids: readonly string[], window: number): MissingWindows & { reads: () => number } {
      let at = 0;
      let reads = 0;
      return {
        count: ids.length,
        size: batchSize(ids.length),
        plannedBatches: Math.ceil(ids.length / batchSize(ids.length)),
        async next() {
          if (at >= ids.length) return undefined;
          reads++;
          const slice = ids.slice(at, at + window);
          at += window;
          return missing(slice);
        },
        reads: () => reads,
      };
    }

    it('fetches the same batches as one plan, holding claims for about one window only', async () => {
      const { jobs, inFlight, request } = setup();
      const rec = recordingFetcher(movieRow);
      const held: number[] = [];
      const fetcher: Fetcher = (ids, columns, ctx) => {
        held.push(inFlight.size);
        return rec.fetch(ids, columns, ctx);
      };
      const events: FetchProgress[] = [];
      jobs.subscribe((e) => events.push(e));
      const ids = range(1, 30_017);
      const windows = windowsOf(ids, 2_000);
      const store = heldStore({ held: false });
      const { first, done } = request({ missing: windows, fetcher, write: store.write });
      expect(first).toMatchObject({ status: 'RUNNING', batchesTotal: 100, batchesDone: 0, totalIds: 30_017 });
      const outcome = await done;
      expect(outcome.failures.size).toBe(0);
      // 100 batches of 301 (the last 218), as planBatches makes of the whole 30,017.
      expect(rec.calls.map((c) => c.ids.length)).toEqual([...Array(99).fill(301), 218]);
      expect(new Set(rec.calls.flatMap((c) => c.ids)).size).toBe(30_017);
      expect(windows.reads()).toBe(16);
      // Claims: at most this window and the next one looked up ahead, plus a carried remainder.
      expect(Math.max(...held)).toBeLessThanOrEqual(2 * 2_000 + 301);
      expect(inFlight.size).toBe(0);
      const mine = events.filter((e) => e.jobId === first?.jobId);
      expect(mine.every((e) => e.batchesTotal === 100)).toBe(true);
      expect(mine.at(-1)).toMatchObject({ status: 'SUCCEEDED', batchesDone: 100, rowsFetched: 30_017 });
    });

    it('ids another request is fetching are awaited, not fetched twice; the batch count shrinks', async () => {
      const { jobs, request } = setup();
      const events: FetchProgress[] = [];
      jobs.subscribe((e) => events.push(e));
      const other = heldFetcher();
      const store = heldStore({ held: false });
      // Another request holds ids 4,001-4,100 (one batch, in the third window) until we open it.
      const theirs = request({
        missing: missing(range(4_001, 4_100)),
        fetcher: other.fetch,
        write: store.write,
      });
      await other.arrived(0);
      const rec = recordingFetcher(movieRow);
      const ours = request({
        missing: windowsOf(range(1, 10_000), 2_000),
        fetcher: rec.fetch,
        write: store.write,
      });
      const finished = watch(ours.done);
      await vi.waitFor(() => expect(rec.calls.reduce((n, c) => n + c.ids.length, 0)).toBe(9_900));
      expect(finished.settled()).toBe(false);
      other.open(0);
      await theirs.done;
      const outcome = await ours.done;
      expect(outcome.failures.size).toBe(0);
      const fetched = rec.calls.flatMap((c) => c.ids);
      expect(fetched.some((id) => Number(id) >= 4_001 && Number(id) <= 4_100)).toBe(false);
      expect(new Set(fetched).size).toBe(9_900);
      // 100 planned batches of 100; the one another request holds is not ours: 99 calls.
      expect(rec.calls.map((c) => c.ids.length)).toEqual(Array(99).fill(100));
      expect(events.filter((e) => e.jobId === ours.first?.jobId).at(-1)).toMatchObject({
        status: 'SUCCEEDED',
        batchesDone: 99,
        batchesTotal: 99,
      });
    });

    it('a window whose lookup fails ends the job PARTIAL with that error, keeping what it fetched', async () => {
      const { jobs, inFlight, request } = setup();
      const rec = recordingFetcher(movieRow);
      const events: FetchProgress[] = [];
      jobs.subscribe((e) => events.push(e));
      const inner = windowsOf(range(1, 5_000), 1_000);
      let reads = 0;
      const windows: MissingWindows = {
        ...inner,
        next: () => (++reads === 3 ? Promise.reject(new Error('disk gone')) : inner.next()),
      };
      const store = heldStore({ held: false });
      const { first, done } = request({ missing: windows, fetcher: rec.fetch, write: store.write });
      await done;
      expect(inFlight.size).toBe(0);
      const last = events.filter((e) => e.jobId === first?.jobId).at(-1);
      expect(last).toMatchObject({
        status: 'PARTIAL',
        rowsFetched: 2_000,
        batchesDone: 20,
        batchesTotal: 20,
      });
      expect(last?.message).toMatch(/the cache could not be read \(disk gone\)/);
    });
  });
});
