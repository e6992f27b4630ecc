import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempCwd } from './cli-process.js';

describe('a bad config', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    const config = {
      cacheDir: '.cache',
      tables: { movies: { source: { kind: 'module', path: './source.mjs' }, columns: { title: 'Text' } } },
    };
    await writeFile(join(dir, 'cachegate.config.json'), JSON.stringify(config));
  });
  afterAll(() => cleanup());

  it.each([['schema'], ['stats'], ['serve', '--port', '0']])(
    '%s exits 2 with a message naming the key, without a stack',
    async (...args) => {
      const { code, stdout, stderr } = await runCli(args, dir);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/tables\.movies\.columns\.title/);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('exits 2 when --config names a file that does not exist', async () => {
    const { code, stderr } = await runCli(['schema', '--config', 'nope.json'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.json');
  });

  it('serve exits 2 with one line for a bad LOG_LEVEL, without a stack', async () => {
    // A folder without a config: the demo would start, but the logger comes first.
    const empty = await tempCwd();
    const { code, stderr } = await runCli(['serve', '--port', '0'], empty.dir, { LOG_LEVEL: 'loud' });
    await empty.cleanup();
    expect(code).toBe(2);
    expect(stderr).toContain('LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
