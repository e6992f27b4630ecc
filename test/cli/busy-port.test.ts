import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempCwd } from './cli-process.js';
import { writeModuleConfig } from './module-source.js';

describe('cachegate serve on a busy port', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    await writeModuleConfig(dir);
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    await cleanup();
  });

  it('prints one line saying the port is in use and exits non-zero, without a stack trace', async () => {
    const { code, stdout, stderr } = await runCli(['serve', '--port', String(port)], dir);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^cachegate serve: port ${port} is in use: .*--port`));
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
