import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempCwd } from './cli-process.js';

describe('cachegate schema', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
  });
  afterAll(() => cleanup());

  it('prints the SDL of the built-in demo when there is no config', async () => {
    const { code, stdout, stderr } = await runCli(['schema'], dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const type of ['type Movie', 'type Person', 'type Vendor', 'type Order', 'type Query']) {
      expect(stdout).toContain(type);
    }
    expect(stdout).toMatch(/director: Person/);
    // Sorted: the output is stable, so `Movie` comes before `Person`.
    expect(stdout.indexOf('type Movie ')).toBeLessThan(stdout.indexOf('type Person '));
  });
});
