/** `serve` logs `check`'s findings at start-up as warnings, and serves anyway. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/sources/pglite.js';
import { startCli, tempCwd } from './cli-process.js';

describe('cachegate serve with a config that does not match its database', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    const handle = await openPglite(path.join(dir, 'db'), undefined);
    await handle.db.exec(`CREATE TABLE films (id int4 PRIMARY KEY, title text, views int8);
      INSERT INTO films VALUES (1, 'One', 5);`);
    await handle.release();
    await writeFile(
      path.join(dir, 'cachegate.config.json'),
      JSON.stringify({
        tables: {
          films: {
            source: { kind: 'pglite', dataDir: 'db', table: 'films' },
            columns: { title: 'String', views: 'Int', rating: 'Float' },
          },
        },
      }),
    );
  });
  afterAll(() => cleanup());

  it('warns about each mismatch in the log (JSON when piped) and still answers queries', async () => {
    const cli = startCli(['serve', '--port', '0'], dir);
    try {
      const [, url] = await cli.waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/);
      await cli.waitFor(/config check: films: column \\"rating\\" is not there/);
      const warnings = cli
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; table?: string })
        .filter((l) => l.msg.startsWith('config check'));
      expect(warnings.map((w) => [w.level, w.table])).toEqual([
        [40, 'films'],
        [40, 'films'],
      ]);
      expect(warnings[0]?.msg).toContain('column "views": declared Int, but the upstream column is int8');
      const response = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ films(ids: ["1"]) { title } }' }),
      });
      expect(await response.json()).toEqual({ data: { films: [{ title: 'One' }] } });
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.exited).code).toBe(0);
  });
});
