/** The progress feed alone: snapshots, ordering, ending, early return, and Redis across "replicas". */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { FetchProgress, JobRegistry, ProgressListener } from '../../src/engine/types.js';
import { createProgressBridge } from '../../src/server/progress-feed.js';
import { serviceAvailable } from '../helpers/services.js';

function registry() {
  const listeners = new Set<ProgressListener>();
  const latest = new Map<string, FetchProgress>();
  const jobs: JobRegistry = {
    get: (id) => latest.get(id),
    list: () => [...latest.values()].reverse(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const publish = (event: FetchProgress) => {
    latest.set(event.jobId, event);
    for (const l of listeners) l(event);
  };
  return { jobs, publish };
}

const event = (
  jobId: string,
  batchesDone: number,
  status: FetchProgress['status'] = 'RUNNING',
): FetchProgress => ({
  jobId,
  table: 'movies',
  status,
  totalIds: 30,
  batchesTotal: 3,
  batchesDone,
  rowsFetched: batchesDone * 10,
  failedCount: 0,
  notFoundCount: 0,
  failedIds: [],
  elapsedMs: batchesDone * 5,
  etaMs: null,
  message: '',
});

async function take<T>(iterable: AsyncIterable<T>, max = 10): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) {
    out.push(value);
    if (out.length >= max) break;
  }
  return out;
}

describe('progress feed', () => {
  it('gives a finished job its final state, then ends', async () => {
    const { jobs, publish } = registry();
    const bridge = createProgressBridge(jobs);
    publish(event('j1', 3, 'SUCCEEDED'));
    expect(await take(bridge.feed.events({ jobId: 'j1' }))).toEqual([event('j1', 3, 'SUCCEEDED')]);
    await bridge.close();
  });

  it('gives a running job its current state, then newer events only, ending with the job', async () => {
    const { jobs, publish } = registry();
    const bridge = createProgressBridge(jobs);
    publish(event('j2', 1));
    const events = take(bridge.feed.events({ jobId: 'j2' }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    publish(event('j2', 1));
    publish(event('other', 1));
    publish(event('j2', 2));
    publish(event('j2', 3, 'SUCCEEDED'));
    publish(event('j2', 3, 'SUCCEEDED'));
    expect((await events).map((e) => [e.batchesDone, e.status])).toEqual([
      [1, 'RUNNING'],
      [2, 'RUNNING'],
      [3, 'SUCCEEDED'],
    ]);
    await bridge.close();
  });

  it('lets a subscriber leave while no event comes', async () => {
    const { jobs } = registry();
    const bridge = createProgressBridge(jobs);
    const iterator = bridge.feed.events({ table: 'quiet' })[Symbol.asyncIterator]();
    const pending = iterator.next();
    await expect(iterator.return?.()).resolves.toMatchObject({ done: true });
    await expect(pending).resolves.toMatchObject({ done: true });
    await bridge.close();
  });
});

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const redisUp = await (async () => {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
})();

describe.runIf(serviceAvailable(`Redis at ${REDIS_URL}`, redisUp))('progress feed over Redis', () => {
  it('shows a subscriber on one replica the jobs of another', async () => {
    const a = registry();
    const b = registry();
    const replicaA = createProgressBridge(a.jobs, REDIS_URL);
    const replicaB = createProgressBridge(b.jobs, REDIS_URL);
    const jobId = `redis-${process.pid}-${Date.now()}`;
    // B has never heard of the job: it sees it only through Redis.
    const seen = take(replicaB.feed.events({ jobId }));
    // Redis SUBSCRIBE is asynchronous; let it reach the server before publishing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    a.publish(event(jobId, 1));
    a.publish(event(jobId, 3, 'SUCCEEDED'));
    expect((await seen).map((e) => [e.jobId, e.status])).toEqual([
      [jobId, 'RUNNING'],
      [jobId, 'SUCCEEDED'],
    ]);
    await Promise.all([replicaA.close(), replicaB.close()]);
  });
});
