import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempCwd } from './cli-process.js';

describe('cachegate --help', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
  });
  afterAll(() => cleanup());

  it('lists every command and exits 0', async () => {
    const { code, stdout } = await runCli(['--help'], dir);
    expect(code).toBe(0);
    for (const command of ['serve', 'init', 'check', 'warm', 'stats', 'compact', 'schema'])
      expect(stdout).toContain(`  ${command} `);
  });

  it.each([
    ['serve', '--port'],
    ['init', '--from'],
    ['check', '[table]'],
    ['warm', '--ids-file'],
    ['stats', '[table]'],
    ['compact', '[table]'],
    ['schema', '--config'],
  ])('%s --help shows its options and exits 0', async (command, option) => {
    const { code, stdout } = await runCli([command, '--help'], dir);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: cachegate ${command}`);
    expect(stdout).toContain(option);
  });

  it('serve --help says what REDIS_URL does (progress and fetch locks across replicas)', async () => {
    const { stdout } = await runCli(['serve', '--help'], dir);
    expect(stdout).toMatch(/REDIS_URL\s+send fetch progress through Redis/);
    expect(stdout).toMatch(
      /lock fetches in Redis, so replicas sharing the cache\s+folder do not fetch the same IDs at once/,
    );
    expect(stdout).toContain('LOG_LEVEL');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, stderr } = await runCli(['frobnicate'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });

  it('rejects an unknown option with exit code 2 and a pointer to --help', async () => {
    const { code, stderr } = await runCli(['stats', '--colour'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('--colour');
    expect(stderr).toContain('cachegate stats --help');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad port and warm without --ids-file', async () => {
    const port = await runCli(['serve', '--port', 'http'], dir);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be an integer');
    const warm = await runCli(['warm', 'movies'], dir);
    expect(warm.code).toBe(2);
    expect(warm.stderr).toContain('--ids-file');
  });
});
