/**
 * The lock-free commit protocol: exclusive creation of the next version file, retried on the
 * newer version when another writer took it; no lock a dead writer could leave behind.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CommitConflict, commitVersion } from '../../src/cache/commit.js';
import { logFile, readLatest, readManifestFile } from '../../src/cache/manifest.js';
import { PartMemory } from '../../src/cache/part-io.js';
import { TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

function openStore(dir: string, beforeCommit?: () => Promise<void>): TableStore {
  return new TableStore({
    dir: path.join(dir, 't'),
    table: 't',
    limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000 },
    memory: new PartMemory(16 * 1024 * 1024),
    notFoundTtlMs: 60_000,
    beforeCommit,
  });
}

const row = (id: string) => ({
  rows: [{ id, v: `v${id}` }],
  columns: ['v'],
  notFound: [],
  fetchedAt: Date.now(),
});

describe('commit', () => {
  it('a writer that loses the race for a version re-applies its change on the newer one', async () => {
    const dir = await tempDir();
    const b = openStore(dir);
    let raced = false;
    // Between A's durable files and A's commit, B commits first: A's version number is taken.
    const a = openStore(dir, async () => {
      if (raced) return;
      raced = true;
      await b.write(row('b1'));
      await b.flush();
    });
    await a.write(row('a1'));
    await a.flush();
    const m = await readManifestFile(path.join(dir, 't'), 't');
    expect(raced).toBe(true);
    expect(m.version).toBe(2);
    expect(m.deltas).toHaveLength(2);
    const res = await openStore(dir).lookup(['a1', 'b1'], ['v']);
    expect(res.records()).toEqual([
      { id: 'a1', v: 'va1' },
      { id: 'b1', v: 'vb1' },
    ]);
  });

  it('a build that no longer applies gives up with CommitConflict and commits nothing', async () => {
    const dir = path.join(await tempDir(), 't');
    await commitVersion(dir, 't', (m) => ({ ...m, deltas: [{ file: 'd1', rows: 1, bytes: 1 }] }));
    await expect(
      commitVersion(dir, 't', () => {
        throw new CommitConflict('what it replaces is gone');
      }),
    ).rejects.toBeInstanceOf(CommitConflict);
    expect((await readLatest(dir, 't')).version).toBe(1);
  });

  it('readers find a version committed by a writer that died before updating manifest.json', async () => {
    const dir = path.join(await tempDir(), 't');
    const v1 = await commitVersion(dir, 't', (m) => ({ ...m, deltas: [{ file: 'd1', rows: 1, bytes: 1 }] }));
    // As if a writer linked version 2 and was killed before copying it to manifest.json.
    const v2 = { ...v1!, version: 2, deltas: [...v1!.deltas, { file: 'd2', rows: 1, bytes: 1 }] };
    await mkdir(path.dirname(logFile(dir, 2)), { recursive: true });
    const tmp = path.join(dir, 'v2.json');
    await writeFile(tmp, JSON.stringify(v2));
    await copyFile(tmp, logFile(dir, 2));
    expect((await readManifestFile(dir, 't')).version).toBe(1);
    expect((await readLatest(dir, 't')).deltas.map((d) => d.file)).toEqual(['d1', 'd2']);
    // The next commit builds on version 2, not on the stale copy.
    const v3 = await commitVersion(dir, 't', (m) => ({
      ...m,
      deltas: [...m.deltas, { file: 'd3', rows: 1, bytes: 1 }],
    }));
    expect(v3?.version).toBe(3);
    expect((await readManifestFile(dir, 't')).deltas.map((d) => d.file)).toEqual(['d1', 'd2', 'd3']);
  });

  it('a writer SIGKILLed just before its commit leaves nothing that stalls the next writer', async () => {
    const dir = await tempDir();
    const s = openStore(dir);
    await s.write(row('0'));
    await s.flush();
    await expect(
      run(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'fixtures', 'writer.ts'), dir, 't', '100', '10', '10', 'crash'],
        { cwd: path.resolve(here, '../..') },
      ),
    ).rejects.toMatchObject({ signal: 'SIGKILL' });
    const started = performance.now();
    await s.write(row('1'));
    await s.flush();
    const ms = performance.now() - started;
    console.log(
      `next commit after a writer was SIGKILLed mid-commit: ${ms.toFixed(1)} ms (no lock to take over)`,
    );
    const m = JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as { version: number };
    expect(m.version).toBe(2);
    expect((await openStore(dir).lookup(['0', '1', '100'], ['v'])).records().map((r) => r['id'])).toEqual([
      '0',
      '1',
    ]);
  });
});
