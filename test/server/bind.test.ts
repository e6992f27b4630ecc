/** Without `auth` the server binds only to loopback, unless told `insecure` (DESIGN §4). */

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.js';
import { isLoopbackHost } from '../../src/server/auth/loopback.js';
import { startCli, tempCwd } from '../cli/cli-process.js';
import { writeModuleConfig } from '../cli/module-source.js';
import { serverTempDir, testConfig } from '../helpers/server.js';

const quiet = pino({ level: 'silent' });

describe('loopback addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.7', false],
    ['::ffff:127.0.0.1', true],
  ])('%s → %s', async (host, expected) => {
    expect(await isLoopbackHost(host)).toBe(expected);
  });
});

describe('binding', () => {
  it('refuses a non-loopback host without auth, with a one-line message', async () => {
    const app = buildApp({ config: await testConfig(await serverTempDir()), logger: quiet });
    try {
      await expect(app.start(0, '0.0.0.0')).rejects.toThrow(
        /^Refusing to listen on 0\.0\.0\.0 without "auth" in the config: .* or pass --insecure\.$/,
      );
    } finally {
      await app.stop();
    }
  });

  it.each([
    { case: 'with --insecure', extra: { insecure: true }, auth: false },
    { case: 'with auth', extra: {}, auth: true },
  ])('listens on 0.0.0.0 $case', async ({ extra, auth }) => {
    const config = await testConfig(await serverTempDir());
    const app = buildApp({
      config: auth
        ? { ...config, auth: { tokens: [{ token: 'operator-token-0123456789', role: 'operator' }] } }
        : config,
      logger: quiet,
      ...extra,
    });
    try {
      const { port } = await app.start(0, '0.0.0.0');
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('cachegate serve --host 0.0.0.0 exits 2 with one line on stderr', async () => {
    const { dir, cleanup } = await tempCwd();
    try {
      await writeModuleConfig(dir);
      const { code, stderr } = await startCli(['serve', '--port', '0', '--host', '0.0.0.0'], dir).exited;
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^cachegate serve: Refusing to listen on 0\.0\.0\.0 without "auth".*--insecure\.$/,
        ),
      ]);
    } finally {
      await cleanup();
    }
  });
});
