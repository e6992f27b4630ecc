import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, UpstreamFailedError } from '../../src/errors.js';
import { guardSource } from '../../src/sources/guard.js';
import { retryAfterMs } from '../../src/sources/http.js';
import {
  createHttpSource,
  createPostgresSource,
  type FetchContext,
  type Source,
} from '../../src/sources/index.js';
import { createDeferred, type Deferred } from '../helpers/deferred.js';
import { sendJson, startHttpServer, type TestServer } from '../helpers/http-server.js';

const ctx = (signal = new AbortController().signal): FetchContext => ({
  table: 't',
  signal,
  batch: 1,
  attempt: 1,
});

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function failingServer(status: number, headers: Record<string, string> = {}): Promise<TestServer> {
  const server = await startHttpServer((_req, res) => {
    res.writeHead(status, headers);
    res.end('no');
  });
  servers.push(server);
  return server;
}

const httpSource = (server: TestServer): Source =>
  createHttpSource({ kind: 'http', url: `${server.url}/rows?ids={ids}`, idField: 'id' }, 't');

/** Calls `fetch` `n` times one after the other and returns the errors. */
async function callsFailing(source: Source, n: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = 0; i < n; i++) {
    await source.fetch([String(i)], ['a'], ctx()).then(
      () => errors.push(undefined),
      (e: unknown) => errors.push(e),
    );
  }
  return errors;
}

describe('circuit breaker', () => {
  it('opens after `failures` consecutive failures and stops calling the upstream', async () => {
    const server = await failingServer(500);
    const guarded = guardSource(httpSource(server), 't', 'http', {
      breaker: { failures: 3, halfOpenAfterMs: 60_000, maxHalfOpenAfterMs: 60_000 },
    });
    const errors = await callsFailing(guarded, 20);
    expect(server.requests).toHaveLength(3);
    expect(
      errors.slice(0, 3).every((e) => e instanceof UpstreamFailedError && !(e instanceof CircuitOpenError)),
    ).toBe(true);
    const open = errors[3] as CircuitOpenError;
    expect(open).toBeInstanceOf(CircuitOpenError);
    expect(open.code).toBe('UPSTREAM_FAILED');
    expect(open.details).toMatchObject({ reason: 'CIRCUIT_OPEN', table: 't' });
    expect(Date.parse(open.details['retryAt'] as string)).toBeGreaterThan(Date.now() + 50_000);
    expect(open.details['retryAfterMs']).toBeGreaterThan(50_000);
    expect(open.message).toMatch(/circuit open.*tries again/);
    const health = await guarded.health(1000);
    expect(health).toMatchObject({
      state: 'down',
      breaker: 'open',
      reason: 'CIRCUIT_OPEN',
      calls: 3,
      failures: 3,
      rejected: 18,
    });
    // Readiness with an open breaker did not call the upstream either.
    expect(server.requests).toHaveLength(3);
  });

  it('half-opens after the pause: one probe, and a success closes it again', async () => {
    let status = 503;
    const server = await startHttpServer((_req, res) => {
      if (status === 200) return sendJson(res, 200, [{ id: '1', a: 1 }]);
      res.writeHead(status);
      res.end();
    });
    servers.push(server);
    const guarded = guardSource(httpSource(server), 't', 'http', {
      breaker: { failures: 2, halfOpenAfterMs: 100, maxHalfOpenAfterMs: 100 },
    });
    const errors = await callsFailing(guarded, 3);
    const open = errors[2] as CircuitOpenError;
    expect(open).toBeInstanceOf(CircuitOpenError);
    // Still failing at the probe: it opens again, after one more upstream call.
    await sleep((open.details['retryAfterMs'] as number) + 10);
    await callsFailing(guarded, 2);
    expect(server.requests).toHaveLength(3);
    expect((await guarded.health(1000)).breaker).toBe('open');
    status = 200;
    const reopened = (await callsFailing(guarded, 1))[0] as CircuitOpenError;
    await sleep((reopened.details['retryAfterMs'] as number) + 10);
    await expect(guarded.fetch(['1'], ['a'], ctx())).resolves.toEqual([{ id: '1', a: 1 }]);
    expect((await guarded.health(1000)).breaker).toBe('closed');
  });

  it('ignores failures that say nothing about the upstream (HTTP 404, a bad value)', async () => {
    const server = await failingServer(404);
    const guarded = guardSource(httpSource(server), 't', 'http', {
      breaker: { failures: 2, halfOpenAfterMs: 60_000, maxHalfOpenAfterMs: 60_000 },
    });
    const errors = await callsFailing(guarded, 6);
    expect(server.requests).toHaveLength(6);
    expect(errors.some((e) => e instanceof CircuitOpenError)).toBe(false);
  });

  it.each([429, 503])('honours Retry-After on HTTP %i before the breaker would open', async (status) => {
    const server = await failingServer(status, { 'retry-after': '120' });
    const guarded = guardSource(httpSource(server), 't', 'http');
    const [first, second] = await callsFailing(guarded, 2);
    expect(first).toBeInstanceOf(UpstreamFailedError);
    expect((first as UpstreamFailedError).retryAfterMs).toBe(120_000);
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect((second as CircuitOpenError).details['retryAfterMs']).toBeGreaterThan(110_000);
    expect(server.requests).toHaveLength(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('opens against PostgreSQL on a closed port', async () => {
    const pg = createPostgresSource(
      { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/x', table: 't', idColumn: 'id' },
      't',
    );
    const guarded = guardSource(pg, 't', 'postgres');
    try {
      const errors = await callsFailing(guarded, 30);
      const health = await guarded.health(1000);
      expect(health).toMatchObject({ calls: 5, failures: 5, rejected: 26, breaker: 'open', state: 'down' });
      expect(errors.filter((e) => e instanceof CircuitOpenError)).toHaveLength(25);
    } finally {
      await guarded.close?.();
    }
  });

  it('can be turned off', async () => {
    const server = await failingServer(500);
    const guarded = guardSource(httpSource(server), 't', 'http', { breaker: false });
    await callsFailing(guarded, 8);
    expect(server.requests).toHaveLength(8);
    expect((await guarded.health(1000)).breaker).toBe('off');
  });
});

describe('concurrency cap', () => {
  /** A source whose calls wait for the test, recording how many run at once. */
  function gatedSource() {
    const gates: Array<Deferred<void>> = [];
    const state = { running: 0, peak: 0, started: 0 };
    const source: Source = {
      async fetch(ids) {
        state.running++;
        state.started++;
        state.peak = Math.max(state.peak, state.running);
        const gate = createDeferred();
        gates.push(gate);
        try {
          await gate.promise;
        } finally {
          state.running--;
        }
        return ids.map((id) => ({ id }));
      },
    };
    return { source, gates, state };
  }

  it('runs at most maxConcurrency calls at once across callers; the rest wait their turn', async () => {
    const { source, gates, state } = gatedSource();
    const guarded = guardSource(source, 't', 'module', { maxConcurrency: 2 });
    const calls = Array.from({ length: 7 }, (_, i) => guarded.fetch([String(i)], [], ctx()));
    await sleep(0);
    expect(state.started).toBe(2);
    expect(await guarded.health(1000)).toMatchObject({ active: 2, queued: 5 });
    // Each finished call lets exactly one waiting call start.
    for (let done = 0; done < 7; done++) {
      gates.shift()!.resolve();
      await sleep(0);
      expect(state.running).toBeLessThanOrEqual(2);
    }
    const results = await Promise.all(calls);
    expect(results.map((r) => (r as Array<{ id: string }>)[0]!.id)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ]);
    expect(state.peak).toBe(2);
  });

  it('frees the slot of a call whose caller gave up, even if the source ignores its signal', async () => {
    const { source, gates, state } = gatedSource();
    const guarded = guardSource(source, 't', 'module', { maxConcurrency: 1 });
    const ctl = new AbortController();
    const hung = guarded.fetch(['1'], [], ctx(ctl.signal));
    const next = guarded.fetch(['2'], [], ctx());
    await sleep(0);
    expect(state.started).toBe(1);
    ctl.abort(new Error('batch timeout'));
    await expect(hung).rejects.toThrow('batch timeout');
    await sleep(0);
    expect(state.started).toBe(2);
    for (const gate of gates) gate.resolve();
    await expect(next).resolves.toEqual([{ id: '2' }]);
  });
});
