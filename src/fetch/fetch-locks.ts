/**
 * Cross-replica fetch locks (DESIGN §6): the seam between the coordinator and whatever keeps
 * two processes from fetching the same IDs at once. In one process, single-flight already does
 * that (single-flight.ts); the default here does nothing more. `redis-locks.ts` implements it
 * over Redis for replicas sharing one cache folder.
 */

/** The claims one batch took. */
export interface Lease {
  /** IDs another replica holds: this batch does not fetch them but waits for them (`waitFor`). */
  readonly held: readonly string[];
  /**
   * Whether other processes can see the claims. When they can, the batch's rows must be in a
   * committed delta before `release`, so that a waiter that re-reads the cache finds them.
   */
  readonly shared: boolean;
  /** Drops the claims that are still this lease's (never another owner's). Idempotent; never rejects. */
  release(): Promise<void>;
}

export type FetchLockState = 'off' | 'up' | 'down';

export interface FetchLockStatus {
  state: FetchLockState;
  /** Lock-service calls that failed (each one fell open: the batch was fetched anyway). */
  errors: number;
  /** Waits that ended at the wait bound instead of a release. */
  waitsTimedOut: number;
  lastError?: string;
}

export interface FetchLocks {
  /**
   * Claims the free IDs of `ids` for one batch and names those another replica holds. Never
   * rejects: when the lock service fails, nothing is held (fail open: fetch anyway).
   */
  claim(table: string, ids: readonly string[]): Promise<Lease>;
  /**
   * Resolves once no replica holds any of `ids` (released, or expired because its holder died),
   * after the configured wait bound, on `signal`, or at once when the lock service fails.
   * Never rejects; what it waited for may still be missing, so the caller re-reads the cache.
   */
  waitFor(table: string, ids: readonly string[], signal: AbortSignal): Promise<void>;
  status(): FetchLockStatus;
  close(): Promise<void>;
}

const noLease: Lease = { held: [], shared: false, release: async () => undefined };

/** In-process only: single-flight is all the locking one process needs. */
export const noFetchLocks: FetchLocks = {
  claim: async () => noLease,
  waitFor: async () => undefined,
  status: () => ({ state: 'off', errors: 0, waitsTimedOut: 0 }),
  close: async () => undefined,
};
