/**
 * Tests that need a service (PostgreSQL at DATABASE_URL, Redis at REDIS_URL) skip with a warning
 * on a machine without it, but fail where services are required: `.ci/run` sets
 * CACHEGATE_REQUIRE_SERVICES=1, so CI can never pass by skipping them.
 */
export function serviceAvailable(name: string, up: boolean): boolean {
  if (up) return true;
  if (process.env['CACHEGATE_REQUIRE_SERVICES'] === '1') {
    throw new Error(`${name} is required here (CACHEGATE_REQUIRE_SERVICES=1) but is not reachable.`);
  }
  console.warn(`${name} is not reachable: the tests that need it are skipped.`);
  return false;
}
