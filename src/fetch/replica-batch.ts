/**
 * One batch across replicas (DESIGN §6): its IDs are claimed in the fetch locks before it is
 * fetched; IDs another replica holds are not fetched but waited for. The batch's own claims are
 * released only once its rows are in a committed delta, so a waiter that re-reads the cache
 * finds them; the wait for the others never delays that release (two replicas waiting for each
 * other's next batch would otherwise deadlock until the wait bound).
 */
import type { PlannedBatch } from './batch-plan.js';
import type { FetchLocks, Lease } from './fetch-locks.js';

/** What the coordinator needs from the store to hand IDs over between replicas. */
export interface ReplicaStore {
  /** Resolves once everything written so far is in a committed delta (a flush). */
  durable(): Promise<void>;
  /** Of `ids`, those still lacking one of `columns` (re-reads the manifest first). */
  stillMissing(ids: readonly string[], columns: readonly string[]): Promise<string[]>;
}

const inProcess: Lease = { held: [], shared: false, release: async () => undefined };

/** Claims `batch`'s IDs; `own` is what this batch fetches now (the IDs no other replica holds). */
export async function claimBatch(
  locks: FetchLocks,
  table: string,
  batch: PlannedBatch,
  store: ReplicaStore | undefined,
): Promise<{ own: PlannedBatch; lease: Lease }> {
  // Without a way to re-read the cache, a waiter could not tell what the holder fetched.
  if (store === undefined) return { own: batch, lease: inProcess };
  const lease = await locks.claim(table, batch.ids);
  if (!lease.shared) return { own: batch, lease };
  const held = new Set(lease.held);
  const free = held.size === 0 ? batch.ids : batch.ids.filter((id) => !held.has(id));
  // What was missing when the job was planned may have been fetched by another replica since
  // (it released before we claimed): re-read, as after taking any lock.
  let own = free;
  try {
    own = free.length === 0 ? free : await store.stillMissing(free, batch.columns);
  } catch {
    // The cache could not be read: fetching again costs upstream work, never correctness.
  }
  return { own: { ids: own, columns: batch.columns }, lease };
}

/**
 * Makes the batch's written rows durable (when it `wrote` any), then releases its claims.
 * Never rejects.
 */
export async function releaseBatch(
  lease: Lease,
  store: ReplicaStore | undefined,
  wrote: boolean,
): Promise<void> {
  if (!lease.shared) return;
  try {
    if (wrote) await store?.durable();
  } catch {
    // The rows stay in this process's write buffer and its flusher retries; another replica
    // that finds them missing fetches them again, which costs upstream work but loses nothing.
  }
  await lease.release();
}

/**
 * Waits (bounded) for the IDs other replicas held, re-reads the cache, and fetches whatever is
 * still missing (its holder failed or died) under a new claim, so a third replica waits for it.
 * A claim that comes back held again is fetched anyway: the wait for it is over.
 */
export async function takeOver(d: {
  locks: FetchLocks;
  table: string;
  held: readonly string[];
  columns: readonly string[];
  store: ReplicaStore;
  signal: AbortSignal;
  /** Fetches and writes `batch`; failures are recorded per ID by the caller. */
  fetchAndWrite: (batch: PlannedBatch) => Promise<void>;
}): Promise<void> {
  await d.locks.waitFor(d.table, d.held, d.signal);
  const still = await d.store.stillMissing(d.held, d.columns);
  if (still.length === 0) return;
  const lease = await d.locks.claim(d.table, still);
  try {
    await d.fetchAndWrite({ ids: still, columns: [...d.columns] });
  } finally {
    await releaseBatch(lease, d.store, true);
  }
}
