/**
 * Redis for tests of the cross-replica fetch locks: the server at REDIS_URL (CI sets it). Without
 * it those tests are skipped, loudly, so a green run without Redis does not pass for a tested one.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { serviceAvailable } from './services.js';

export const REDIS_URL = process.env['REDIS_URL'];

/** Under .ci/run (CACHEGATE_REQUIRE_SERVICES=1) a missing REDIS_URL fails instead (services.ts). */
export const noRedis = !serviceAvailable(
  'Redis (REDIS_URL=redis://127.0.0.1:6379 runs the cross-replica fetch lock tests)',
  REDIS_URL !== undefined && REDIS_URL !== '',
);

/** A key namespace of its own per test, so tests never see each other's locks. */
export function lockPrefix(): string {
  return `test-${randomUUID()}`;
}

/** A redis:// URL on a port that was free a moment ago: nothing answers there. */
export async function closedRedisUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `redis://127.0.0.1:${port}`;
}
