/** The in-memory parts of a store are bounded by their decoded size, not by their file size. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { frameBytes } from '../../src/cache/native-weight.js';
import { PartMemory, writePartFile } from '../../src/cache/part-io.js';
import { tempDir } from '../helpers/temp-dir.js';

/** `n` rows of repetitive text: a tiny file, a large frame once read. */
function repetitive(n: number): pl.DataFrame {
  const ids = Array.from({ length: n }, (_, i) => String(i));
  const details = ids.map(
    (id) => `{"meta":{"tags":["drama","classic"],"score":${Number(id) % 10}},"cast":["Ada","Ben"]}`,
  );
  return pl.DataFrame(
    { id: ids, details, year: ids.map((id) => 1900 + (Number(id) % 100)) },
    { schema: { id: pl.String, details: pl.String, year: pl.Int32 } },
  );
}

describe('part memory', () => {
  it('estimates a frame from its text bytes and fixed-width columns', () => {
    const df = repetitive(100_000);
    let text = 0;
    for (const c of ['id', 'details'])
      for (const v of df.getColumn(c).toArray() as string[]) text += Buffer.byteLength(v);
    const exact = text + 100_000 * (16 * 2 + 9);
    const est = frameBytes(df);
    expect(est).toBeGreaterThan(exact * 0.8);
    expect(est).toBeLessThan(exact * 1.25);
    expect(frameBytes(df.head(0))).toBe(0);
  });

  it('does not hold a part whose decoded size is over the budget, however small its file', async () => {
    const dir = await tempDir();
    const df = repetitive(200_000);
    await writePartFile(dir, 'p.parquet', df.writeParquet({ compression: 'zstd' }));
    const fileBytes = (await stat(path.join(dir, 'p.parquet'))).size;
    const budget = 8 * 1024 * 1024;
    // The file is far below the budget (the old estimate, 4× the file, held it)…
    expect(fileBytes * 4).toBeLessThan(budget);
    // …but the frame is over it: not held.
    expect(frameBytes(df)).toBeGreaterThan(budget);
    const memory = new PartMemory(budget);
    memory.set('p.parquet', df);
    expect(memory.get('p.parquet')).toBeUndefined();
    // A part that fits is held, and evicts the least recently used one past the budget.
    const small = repetitive(20_000);
    memory.set('a', small);
    memory.set('b', small);
    expect(memory.get('a')).toBeDefined();
    const many = Math.ceil(budget / frameBytes(small));
    for (let i = 0; i < many; i++) memory.set(`x${i}`, small);
    expect(memory.get('a')).toBeUndefined();
  });

  it('keeps a part’s ID column apart only while the part itself is not held', () => {
    const memory = new PartMemory(64 * 1024 * 1024);
    const df = repetitive(1_000);
    memory.setIds('p', df.select('id'));
    expect(memory.ids('p')?.height).toBe(1_000);
    memory.set('p', df);
    expect(memory.get('p')).toBeDefined();
    expect(memory.ids('p')).toBeUndefined();
    memory.setIds('q', df.select('id'));
    memory.forget('q');
    expect(memory.ids('q')).toBeUndefined();
  });
});
