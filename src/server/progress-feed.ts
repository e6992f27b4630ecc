/**
 * Progress events from the engine's job registry to subscribers, through yoga's pub/sub: an
 * in-process EventTarget, or Redis when `redisUrl` is given (DESIGN §6) so that a subscriber on
 * one replica sees jobs running on another.
 */
import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub, Repeater } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { FetchProgress, JobRegistry } from '../engine/types.js';
import type { ProgressFeed, ProgressFilter } from '../schema/index.js';

const TOPIC = 'cachegate:fetchProgress';
type Topics = { [TOPIC]: [FetchProgress] };

export interface ProgressBridge {
  feed: ProgressFeed;
  close(): Promise<void>;
}

function matches(event: FetchProgress, filter: ProgressFilter): boolean {
  if (filter.jobId !== undefined) return event.jobId === filter.jobId;
  return filter.table === undefined || event.table === filter.table;
}

// Events of one job only move forward; the snapshot a late subscriber gets first may already
// include events still queued for it, which must not be replayed after it.
function progressed(event: FetchProgress, last: FetchProgress | undefined): boolean {
  if (last === undefined) return true;
  if (last.status !== 'RUNNING') return false;
  if (event.status !== 'RUNNING') return true;
  return event.batchesDone > last.batchesDone || event.rowsFetched > last.rowsFetched;
}

function createFeed(pubsub: PubSub<Topics>, jobs: JobRegistry): ProgressFeed {
  return {
    // A Repeater, not an async generator: a generator waiting for the next event cannot be
    // returned early, so a client that unsubscribes from a quiet table would stay attached.
    events: (filter) =>
      new Repeater<FetchProgress>(async (push, stop) => {
        const source = pubsub.subscribe(TOPIC)[Symbol.asyncIterator]();
        // Starting the first read attaches the listener now, before the snapshot is taken, so an
        // event between the snapshot and the loop is queued, not lost.
        let next = source.next();
        void stop.then(() => source.return?.());
        let last: FetchProgress | undefined;
        const ends = (event: FetchProgress) => filter.jobId !== undefined && event.status !== 'RUNNING';
        if (filter.jobId !== undefined) last = jobs.get(filter.jobId);
        if (last !== undefined) await push(last);
        if (last !== undefined && ends(last)) {
          stop();
          return;
        }
        for (;;) {
          const { value, done } = await next;
          if (done === true) break;
          next = source.next();
          if (!matches(value, filter)) continue;
          if (filter.jobId !== undefined && !progressed(value, last)) continue;
          last = value;
          await push(value);
          if (ends(value)) break;
        }
        stop();
      }),
  };
}

export function createProgressBridge(jobs: JobRegistry, redisUrl?: string): ProgressBridge {
  let redis: Redis[] = [];
  let pubsub: PubSub<Topics>;
  if (redisUrl === undefined) {
    const eventTarget = new EventTarget();
    // One listener per open subscription: many are normal (bounded by limits.sockets and
    // limits.subscriptionsPerSocket), not a leak, so Node's warning at 11 is noise.
    setMaxListeners(0, eventTarget);
    pubsub = createPubSub<Topics>({ eventTarget });
  } else {
    const publishClient = new Redis(redisUrl);
    const subscribeClient = new Redis(redisUrl);
    redis = [publishClient, subscribeClient];
    pubsub = createPubSub<Topics>({
      eventTarget: createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient }),
    });
  }
  const unsubscribe = jobs.subscribe((event) => pubsub.publish(TOPIC, event));
  return {
    feed: createFeed(pubsub, jobs),
    async close() {
      unsubscribe();
      await Promise.all(redis.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}
