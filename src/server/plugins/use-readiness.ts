/**
 * `GET /health/ready`: 200 when every source answered a probe within the timeout, else 503; the
 * body lists each source with its state and circuit-breaker state. An open breaker answers
 * `down` without calling the upstream, so polling readiness never hammers a dead one. The state
 * of the cross-replica fetch locks is shown too.
 */
import type { Plugin } from 'graphql-yoga';
import type { Cache } from '../../engine/types.js';

export const READY_PATH = '/health/ready';
const DEFAULT_READY_TIMEOUT_MS = 2_000;

export interface ReadinessOptions {
  timeoutMs?: number | undefined;
  /** True once stop() has begun: not ready, so a load balancer sends no new requests. */
  stopping?: () => boolean;
}

export function useReadiness(cache: Cache, options: ReadinessOptions = {}): Plugin {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== READY_PATH || request.method !== 'GET') return;
      const stopping = options.stopping?.() === true;
      const sources = stopping ? [] : await cache.health(timeoutMs);
      const down = sources.filter((s) => s.state !== 'up').map((s) => s.table);
      const ready = !stopping && down.length === 0;
      const body = {
        status: ready ? 'ready' : 'unavailable',
        ...(stopping ? { reason: 'the server is stopping' } : {}),
        ...(down.length > 0 ? { reason: `source of ${down.join(', ')} not reachable` } : {}),
        sources,
        // Reported, never a reason to be unready: without Redis, fetches fall open (DESIGN §6).
        fetchLocks: cache.fetchLockStatus(),
      };
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
