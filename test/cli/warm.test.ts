import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempCwd } from './cli-process.js';
import { writeIds, writeModuleConfig } from './module-source.js';

describe('cachegate warm', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    await writeModuleConfig(dir);
  });
  afterAll(() => cleanup());

  it('fetches every ID, prints plain progress lines when not on a TTY, exits 0', async () => {
    const ids = Array.from({ length: 35 }, (_, i) => String(i + 1));
    const file = await writeIds(dir, 'ids.txt', ['', ...ids, '  7  ', '']);
    const { code, stdout, stderr } = await runCli(['warm', 'movies', '--ids-file', file], dir);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toMatch(/warm movies: SUCCEEDED - 35 IDs, 35 rows fetched in 4\/4 batches/);
    // Non-TTY: one line per change, no carriage returns.
    expect(stderr).not.toContain('\r');
    const lines = stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(/^succeeded movies 100% {2}4\/4 batches {2}35\/35 rows/);

    const stats = await runCli(['stats', 'movies'], dir);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^movies\s+35\s/m);
    // Only what the cache folder holds: hit/miss counters live in a server's memory.
    expect(stats.stdout).toMatch(/^table\s+rows\s+parts\s+deltas\s+bytes\s*$/m);
    expect(stats.stdout).not.toContain('hits');
  });

  it('takes the servers’ fetch locks from REDIS_URL, and still warms when that Redis does not answer', async () => {
    const file = await writeIds(dir, 'locked.txt', ['201', '202']);
    // Nothing listens on port 1: the locks fail open, with a warning naming the Redis.
    const down = await runCli(['warm', 'movies', '--ids-file', file], dir, {
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(down.code).toBe(0);
    expect(down.stderr).toContain('fetch locks in Redis (redis://127.0.0.1:1) failed');
    // Without REDIS_URL, no locks and no such warning.
    const file2 = await writeIds(dir, 'unlocked.txt', ['203']);
    const none = await runCli(['warm', 'movies', '--ids-file', file2], dir);
    expect(none.code).toBe(0);
    expect(none.stderr).not.toContain('fetch locks');
  });

  it('exits 1 and counts the failed IDs when a batch fails', async () => {
    const file = await writeIds(dir, 'bad.txt', ['101', '102', 'bad1']);
    const { code, stdout, stderr } = await runCli(
      ['warm', 'movies', '--ids-file', file, '--columns', 'title'],
      dir,
    );
    expect(code).toBe(1);
    // The failed batch is split to isolate the ID that fails it: 101 and 102 are still warmed.
    expect(stdout).toMatch(/warm movies: PARTIAL/);
    expect(stderr).toMatch(/1 failed IDs: bad1/);
  });

  it('exits 2 naming the table when the table is not configured', async () => {
    const file = await writeIds(dir, 'one.txt', ['1']);
    const { code, stderr } = await runCli(['warm', 'films', '--ids-file', file], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('"films"');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
