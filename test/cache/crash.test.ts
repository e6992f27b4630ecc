/**
 * Real processes, real files: writers killed with SIGKILL at random instants (while flushing
 * deltas and compacting), and two writers flushing and compacting one table at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { PartMemory } from '../../src/cache/part-io.js';
import { TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const churn = path.join(here, 'fixtures', 'churn.ts');
const root = path.resolve(here, '../..');

function start(dir: string, first: number, batches: number, size: number): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', churn, dir, 't', String(first), String(batches), String(size)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Collects the ID ranges a writer reported durable; resolves when it exits. */
function follow(child: ChildProcess, flushed: Array<[number, number]>, onFirst?: () => void) {
  let buf = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const [, from, to] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      flushed.push([Number(from), Number(to)]);
      if (flushed.length === 1) onFirst?.();
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
}

function openStore(dir: string): TableStore {
  return new TableStore({
    dir: path.join(dir, 't'),
    table: 't',
    limits: DEFAULT_STORE,
    memory: new PartMemory(64 * 1024 * 1024),
    notFoundTtlMs: 60_000,
  });
}

/** Every file the manifest names opens as Parquet; every flushed ID is there with its value. */
async function verify(dir: string, flushed: Array<[number, number]>) {
  const m = JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as {
    parts: { file: string }[];
    deltas: { file: string }[];
  };
  for (const f of [...m.parts, ...m.deltas]) pl.readParquet(path.join(dir, 't', f.file));
  const ids: string[] = [];
  for (const [from, to] of flushed) for (let i = from; i <= to; i++) ids.push(String(i));
  const res = await openStore(dir).lookup(ids, ['v', 'n']);
  const rows = new Map(res.records().map((r) => [r['id'] as string, r]));
  const lost = ids.filter((id) => rows.get(id)?.['v'] !== `v${id}` || rows.get(id)?.['n'] !== Number(id));
  return { ids: ids.length, lost, files: m.parts.length + m.deltas.length };
}

describe('crashes and concurrent writers', () => {
  it('SIGKILL at random instants of flushes and compactions loses no flushed row and tears no file', async () => {
    const dir = await tempDir();
    const flushed: Array<[number, number]> = [];
    const kills = 20;
    let killedMidWork = 0;
    // Two writers at a time, each killed at its own random instant: 10 rounds, 20 kills.
    for (let round = 0; round < kills / 2; round++) {
      const results = await Promise.all(
        [0, 1].map(async (w) => {
          const child = start(dir, (round * 2 + w) * 100_000, 1_000, 500);
          const mine: Array<[number, number]> = [];
          const exited = await follow(child, mine, () => {
            // Somewhere inside the next flushes and compactions.
            setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 400);
          });
          flushed.push(...mine);
          return exited;
        }),
      );
      for (const { signal, stderr } of results) {
        expect(stderr).toBe('');
        if (signal === 'SIGKILL') killedMidWork++;
      }
    }
    const { ids, lost, files } = await verify(dir, flushed);
    console.log(
      `crash loop: ${killedMidWork}/${kills} writers killed with SIGKILL; ${ids} flushed rows checked, ${lost.length} lost; ${files} live files, all readable`,
    );
    expect(killedMidWork).toBe(kills);
    expect(lost).toEqual([]);
  }, 120_000);

  it('two processes flushing deltas and compacting one table at once lose nothing', async () => {
    const dir = await tempDir();
    const a: Array<[number, number]> = [];
    const b: Array<[number, number]> = [];
    const [ra, rb] = await Promise.all([
      follow(start(dir, 0, 24, 300), a),
      follow(start(dir, 1_000_000, 24, 300), b),
    ]);
    expect([ra.code, rb.code, ra.stderr + rb.stderr]).toEqual([0, 0, '']);
    expect(ra.stderr + rb.stderr).toBe('');
    const { ids, lost } = await verify(dir, [...a, ...b]);
    expect(ids).toBe(2 * 24 * 300);
    expect(lost).toEqual([]);
    // Orphans of compactions that lost a race are the only extra files, and compact removes them.
    const store = openStore(dir);
    await store.compact(Date.now() + 120_000);
    const left = (await readdir(path.join(dir, 't'))).filter((f) => f.endsWith('.parquet'));
    const m = JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as {
      parts: { file: string }[];
      deltas: { file: string }[];
      notFound: string | null;
    };
    expect(left.sort()).toEqual([...m.parts, ...m.deltas].map((f) => f.file).sort());
    expect((await verify(dir, [...a, ...b])).lost).toEqual([]);
  }, 120_000);
});
