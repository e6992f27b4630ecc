/**
 * What another process needs to trust a flush (DESIGN §2, §6): `flushed()` resolves once the
 * rows written so far are in a committed delta, without a flush of its own; and a process that
 * committed never mistakes another's newer manifest for its own version.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PartMemory } from '../../src/cache/part-io.js';
import { type BatchWrite, TableStore } from '../../src/cache/table-store.js';
import { DEFAULT_STORE, type StoreLimits } from '../../src/config/types.js';
import { tempDir } from '../helpers/temp-dir.js';

function openStore(dir: string, limits: Partial<StoreLimits> = {}): TableStore {
  return new TableStore({
    dir: path.join(dir, 't'),
    table: 't',
    limits: { ...DEFAULT_STORE, flushIntervalMs: 3_600_000, ...limits },
    memory: new PartMemory(64 * 1024 * 1024),
    notFoundTtlMs: 60_000,
  });
}

const rows = (ids: string[]): BatchWrite => ({
  rows: ids.map((id) => ({ id, v: `v${id}` })),
  columns: ['v'],
  notFound: [],
  fetchedAt: Date.now(),
});

async function deltas(dir: string): Promise<number> {
  const m = JSON.parse(await readFile(path.join(dir, 't', 'manifest.json'), 'utf8')) as { deltas: unknown[] };
  return m.deltas.length;
}

describe('flushed()', () => {
  it('waits for the flush that takes the rows instead of starting one', async () => {
    const dir = await tempDir();
    const a = openStore(dir);
    await a.write(rows(['1', '2']));
    let done = false;
    const waiting = a.flushed().then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    await a.flush();
    await waiting;
    expect(await deltas(dir)).toBe(1);
    expect((await openStore(dir).lookup(['1', '2'], ['v'])).missing.size).toBe(0);
  });

  it('batches written one after another share the delta of the next timed flush', async () => {
    const dir = await tempDir();
    const a = openStore(dir, { flushIntervalMs: 100 });
    const waits: Promise<void>[] = [];
    for (const part of [['1'], ['2'], ['3']]) {
      await a.write(rows(part));
      waits.push(a.flushed());
    }
    await Promise.all(waits);
    expect(await deltas(dir)).toBe(1);
    expect((await openStore(dir).lookup(['1', '2', '3'], ['v'])).missing.size).toBe(0);
  });

  it('resolves at once when nothing waits to be flushed', async () => {
    const dir = await tempDir();
    await openStore(dir).flushed();
  });
});

describe('two writers on one folder', () => {
  it('each sees every delta the other committed, however their commits interleave', async () => {
    const dir = await tempDir();
    const a = openStore(dir);
    const b = openStore(dir);
    for (let i = 0; i < 40; i++) {
      await Promise.all([
        a.write(rows([`a${i}`])).then(() => a.flush()),
        b.write(rows([`b${i}`])).then(() => b.flush()),
      ]);
      expect((await a.lookup([`b${i}`], ['v'])).missing.size).toBe(0);
      expect((await b.lookup([`a${i}`], ['v'])).missing.size).toBe(0);
    }
  });
});
