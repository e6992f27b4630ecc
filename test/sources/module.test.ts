import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createModuleSource } from '../../src/sources/module.js';
import type { FetchContext } from '../../src/sources/types.js';

const ctx: FetchContext = { table: 'movies', signal: new AbortController().signal, batch: 2, attempt: 1 };

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cg-module-'));
  await writeFile(
    join(dir, 'named.mjs'),
    `export const calls = [];
     export async function fetch(ids, columns, ctx) {
       calls.push({ ids, columns, batch: ctx.batch });
       return ids.filter((id) => id !== 'missing').map((id) => ({ id, title: 'T' + id, columns }));
     }`,
  );
  await writeFile(
    join(dir, 'default.mjs'),
    `export default {
       prefix: 'D',
       async fetch(ids) { return ids.map((id, i) => ({ id: i + 1, title: this.prefix + id })); },
     };`,
  );
  await writeFile(join(dir, 'bad.mjs'), 'export const fetcher = () => [];');
  await writeFile(join(dir, 'throws.mjs'), `export async function fetch() { throw new Error('api down'); }`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('module source', () => {
  it('imports the module lazily and calls its fetch with ids, columns and ctx', async () => {
    const src = createModuleSource({ kind: 'module', path: 'named.mjs', maxSize: 10 }, 'movies', dir);
    expect(src.maxBatchSize).toBe(10);
    const out = await src.fetch(['1', 'missing'], ['title'], ctx);
    expect(out).toEqual([{ id: '1', title: 'T1', columns: ['title'] }]);
    const mod = (await import(join(dir, 'named.mjs'))) as { calls: unknown[] };
    expect(mod.calls).toEqual([{ ids: ['1', 'missing'], columns: ['title'], batch: 2 }]);
  });

  it('accepts a default export object with fetch and turns numeric IDs into strings', async () => {
    const src = createModuleSource({ kind: 'module', path: 'default.mjs' }, 'movies', dir);
    expect(await src.fetch(['a'], ['title'], ctx)).toEqual([{ id: '1', title: 'Da' }]);
  });

  it('throws ConfigError naming the path and the expected export', async () => {
    const src = createModuleSource({ kind: 'module', path: 'bad.mjs' }, 'movies', dir);
    const err = await src.fetch(['1'], ['title'], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('bad.mjs');
    expect((err as Error).message).toContain('fetch(ids, columns, ctx)');
    expect((err as Error).message).toContain('fetcher');
  });

  it('throws ConfigError when the module cannot be imported', async () => {
    const src = createModuleSource({ kind: 'module', path: 'nope.mjs' }, 'movies', dir);
    await expect(src.fetch(['1'], ['title'], ctx)).rejects.toBeInstanceOf(ConfigError);
  });

  it('wraps an error thrown by the module as UPSTREAM_FAILED', async () => {
    const src = createModuleSource({ kind: 'module', path: 'throws.mjs' }, 'movies', dir);
    await expect(src.fetch(['1'], ['title'], ctx)).rejects.toMatchObject({
      code: 'UPSTREAM_FAILED',
      message: expect.stringContaining('api down'),
    });
  });
});
