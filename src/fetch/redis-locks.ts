/**
 * Fetch locks in Redis (DESIGN §6), so that replicas sharing one cache folder do not fetch the
 * same IDs at once. One key per (table, ID) holding the owner token of the batch that fetches
 * it, with a short TTL renewed while the batch is in flight: a holder that dies blocks others
 * for one TTL at most. Each step runs as Lua scripts (atomic per ID) over the batch's keys, 1,000
 * keys per script, all sent at once: one round trip per batch, whatever its size. A release
 * publishes the table's name, so waiters re-check at once; they
 * also poll, which is how they notice an expired key. Redis failing never stops a fetch: every
 * call falls open (claims nothing, waits for nothing), with one warning per outage.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { DEFAULT_FETCH_LOCKS } from '../config/types.js';
import type { FetchLockStatus, FetchLocks, Lease } from './fetch-locks.js';
import { CLAIM, chunks, RELEASE, RENEW, type ScriptClient } from './redis-lock-scripts.js';

export interface RedisLockOptions {
  url: string;
  /** Keeps unrelated caches on one Redis apart: by default a hash of the cache folder. */
  namespace: string;
  /** Life of a claim without renewal: how long a dead holder blocks others. */
  ttlMs?: number;
  /** Longest wait for IDs another replica holds; then the waiter fetches them itself. */
  maxWaitMs?: number;
  /** Re-check interval of a waiter, for expired keys and missed release messages. */
  pollMs?: number;
  /** Longest wait for one Redis call before it counts as failed (and falls open). */
  callTimeoutMs?: number;
  /** Where the one warning per outage goes; a process warning by default. */
  onWarning?: (message: string) => void;
}

const DEFAULT_POLL_MS = 500;
const DEFAULT_CALL_TIMEOUT_MS = 2_000;
/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis';
  }
}

export class RedisFetchLocks implements FetchLocks {
  private readonly client: Redis;
  private readonly scripts: ScriptClient;
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly leases = new Set<RedisLease>();
  private readonly ttlMs: number;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  private readonly callTimeoutMs: number;
  private readonly channel: string;
  private readonly owner = `${hostname()}:${process.pid}`;
  private state: 'up' | 'down' = 'up';
  private errors = 0;
  private waitsTimedOut = 0;
  private lastError: string | undefined;
  private closed = false;

  constructor(private readonly opts: RedisLockOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_FETCH_LOCKS.ttlMs;
    this.maxWaitMs = opts.maxWaitMs ?? DEFAULT_FETCH_LOCKS.maxWaitMs;
    this.pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.channel = `cachegate:lock:${opts.namespace}:released`;
    this.client = new Redis(opts.url, {
      // A call waits for a reconnect at most once; our own timeout bounds it in any case.
      maxRetriesPerRequest: 1,
      connectTimeout: this.callTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // Without a listener, ioredis reports every failed reconnect as an unhandled error.
    this.client.on('error', (e: Error) => this.failed('connection', e));
    this.client.on('ready', () => this.recovered());
    this.client.defineCommand('cgClaim', { lua: CLAIM });
    this.client.defineCommand('cgRelease', { lua: RELEASE });
    this.client.defineCommand('cgRenew', { lua: RENEW });
    this.scripts = this.client as unknown as ScriptClient;
  }

  /** Redis Cluster needs a script's keys in one slot: the braces hash by namespace and table. */
  key(table: string, id: string): string {
    return `cachegate:lock:{${this.opts.namespace}:${table}}:${id}`;
  }

  async claim(table: string, ids: readonly string[]): Promise<Lease> {
    if (ids.length === 0 || this.closed) return openLease;
    const token = `${this.owner}:${randomUUID()}`;
    const parts = chunks(ids);
    const answers = await this.call('claim', () =>
      Promise.all(
        parts.map((part) =>
          this.scripts.cgClaim(
            part.length,
            ...part.map((id) => this.key(table, id)),
            token,
            String(this.ttlMs),
          ),
        ),
      ),
    );
    if (answers === undefined) {
      // Some chunks may have been claimed: drop them rather than block others for a TTL.
      void this.release(table, ids, token);
      return openLease;
    }
    const held: string[] = [];
    answers.forEach((positions, c) => {
      for (const p of positions) held.push(parts[c]![p - 1]!);
    });
    const lease = new RedisLease(this, table, ids, held, token, this.ttlMs);
    this.leases.add(lease);
    return lease;
  }

  /** @internal Used by leases. */
  async release(table: string, ids: readonly string[], token: string): Promise<void> {
    await this.call('release', () =>
      Promise.all(
        chunks(ids).map((part) =>
          this.scripts.cgRelease(
            part.length,
            ...part.map((id) => this.key(table, id)),
            token,
            this.channel,
            table,
          ),
        ),
      ),
    );
  }

  /** @internal Used by leases. */
  async renew(table: string, ids: readonly string[], token: string): Promise<void> {
    await this.call('renew', () =>
      Promise.all(
        chunks(ids).map((part) =>
          this.scripts.cgRenew(
            part.length,
            ...part.map((id) => this.key(table, id)),
            token,
            String(this.ttlMs),
          ),
        ),
      ),
    );
  }

  /** @internal Used by leases. */
  forget(lease: RedisLease): void {
    this.leases.delete(lease);
  }

  async waitFor(table: string, ids: readonly string[], signal: AbortSignal): Promise<void> {
    if (ids.length === 0) return;
    const deadline = Date.now() + this.maxWaitMs;
    const keys = chunks(ids.map((id) => this.key(table, id)));
    // Listening starts before the first check, so a release between the two is not missed.
    await this.listen();
    for (;;) {
      if (signal.aborted || this.closed) return;
      const counts = await this.call('check', () => Promise.all(keys.map((k) => this.client.exists(...k))));
      if (counts === undefined || counts.every((n) => n === 0)) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.waitsTimedOut++;
        return;
      }
      await this.nextRelease(table, Math.min(this.pollMs, left), signal);
    }
  }

  status(): FetchLockStatus {
    const s: FetchLockStatus = { state: this.state, errors: this.errors, waitsTimedOut: this.waitsTimedOut };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /**
   * Releases the claims still held (the engine closes the locks after its last flush, so every
   * row they cover is on disk), then closes the connections.
   */
  async close(): Promise<void> {
    await Promise.all([...this.leases].map((lease) => lease.release()));
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of set) wake();
    const clients = [this.client, ...(this.subscriber ? [this.subscriber] : [])];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  /** Resolves on a release message for `table`, after `ms`, or on abort. */
  private nextRelease(table: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(table);
      if (!set) {
        set = new Set();
        this.waiters.set(table, set);
      }
      const wake = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(table) === set) this.waiters.delete(table);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal.addEventListener('abort', wake, { once: true });
      set.add(wake);
    });
  }

  /** Subscribes once to release messages; until that works, waiters only poll. */
  private listen(): Promise<void> {
    let sub = this.subscriber;
    if (!sub) {
      sub = this.client.duplicate();
      this.subscriber = sub;
      sub.on('error', (e: Error) => this.failed('subscription', e));
      sub.on('message', (_channel: string, table: string) => {
        for (const wake of [...(this.waiters.get(table) ?? [])]) wake();
      });
    }
    const client = sub;
    this.subscribed ??= this.call('subscribe', () => client.subscribe(this.channel)).then((ok) => {
      // Failed: the next waiter tries again (ioredis re-subscribes by itself after a reconnect).
      if (ok === undefined) this.subscribed = undefined;
    });
    return this.subscribed;
  }

  /** Runs one Redis call within the call timeout; undefined when it failed (fall open). */
  private async call<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
    // While Redis is known to be down, calls would only queue behind the reconnect.
    if (this.closed || (this.state === 'down' && this.client.status !== 'ready')) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.callTimeoutMs} ms`)),
        this.callTimeoutMs,
      );
    });
    try {
      const result = await Promise.race([run(), late]);
      this.recovered();
      return result;
    } catch (e) {
      this.failed(what, e);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(what: string, e: unknown): void {
    if (this.closed) return;
    this.errors++;
    this.lastError = `${what}: ${e instanceof Error ? e.message : String(e)}`;
    if (this.state === 'down') return;
    this.state = 'down';
    this.warn(
      `cachegate: fetch locks in Redis (${shown(this.opts.url)}) failed (${this.lastError}); replicas fetch without cross-replica locks until Redis answers again.`,
    );
  }

  private recovered(): void {
    if (this.state === 'up' || this.closed) return;
    this.state = 'up';
    this.warn(`cachegate: fetch locks in Redis (${shown(this.opts.url)}) work again.`);
  }

  private warn(message: string): void {
    if (this.opts.onWarning) this.opts.onWarning(message);
    else process.emitWarning(message, { code: 'CACHEGATE_FETCH_LOCKS' });
  }
}

/** What a failed claim returns: nothing held, nothing shared, so the batch just fetches. */
const openLease: Lease = { held: [], shared: false, release: async () => undefined };

class RedisLease implements Lease {
  readonly shared = true;
  private readonly timer: NodeJS.Timeout;
  private released: Promise<void> | undefined;
  private readonly mine: readonly string[];

  constructor(
    private readonly locks: RedisFetchLocks,
    private readonly table: string,
    ids: readonly string[],
    readonly held: readonly string[],
    private readonly token: string,
    ttlMs: number,
  ) {
    const others = new Set(held);
    this.mine = held.length === 0 ? ids : ids.filter((id) => !others.has(id));
    // Renewed three times per TTL, so one slow or lost renewal does not let the claim lapse.
    this.timer = setInterval(() => void locks.renew(table, this.mine, token), Math.max(1, ttlMs / 3));
    // A claim must not keep a process alive: its key expires by itself.
    this.timer.unref();
  }

  stopRenewing(): void {
    clearInterval(this.timer);
  }

  release(): Promise<void> {
    this.released ??= (async () => {
      this.stopRenewing();
      this.locks.forget(this);
      if (this.mine.length > 0) await this.locks.release(this.table, this.mine, this.token);
    })();
    return this.released;
  }
}
