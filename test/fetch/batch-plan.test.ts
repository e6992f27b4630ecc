import { describe, expect, it } from 'vitest';
import {
  batchSize,
  cutBatches,
  type PlannedBatch,
  planBatches,
  plannedBatchCount,
} from '../../src/fetch/batch-plan.js';

function missingOf(n: number, columns: string[] = ['a']): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < n; i++) m.set(String(i), columns);
  return m;
}

describe('batchSize', () => {
  it.each([
    [1, 100, 1],
    [100, 100, 1],
    [1_000, 100, 10],
    [10_000, 100, 100],
    [1_000_000, 10_000, 100],
    [1_000_001, 10_001, 100],
  ])('%i missing ids → batches of %i, %i batches', (missing, size, batches) => {
    expect(batchSize(missing)).toBe(size);
    expect(Math.ceil(missing / batchSize(missing))).toBe(batches);
  });

  it('is capped by the source limit, which may make more than 100 batches', () => {
    expect(batchSize(1_000_000, 5_000)).toBe(5_000);
    expect(Math.ceil(1_000_000 / batchSize(1_000_000, 5_000))).toBe(200);
    expect(batchSize(10, 50)).toBe(50);
  });
});

describe('planBatches', () => {
  it('covers every id exactly once, in batches of the planned size', () => {
    const batches = planBatches(missingOf(1_000_001));
    expect(batches).toHaveLength(100);
    expect(batches.slice(0, 99).every((b) => b.ids.length === 10_001)).toBe(true);
    expect(batches.reduce((n, b) => n + b.ids.length, 0)).toBe(1_000_001);
    expect(new Set(batches.flatMap((b) => b.ids)).size).toBe(1_000_001);
  });

  it('plans 1 id as one batch', () => {
    expect(planBatches(missingOf(1))).toEqual([{ ids: ['0'], columns: ['a'] }]);
  });

  it('fetches ids lacking different columns apart, asking each only for what it lacks', () => {
    const missing = new Map([
      ['1', ['title', 'year']],
      ['2', ['year']],
      ['3', ['year', 'title']],
    ]);
    expect(planBatches(missing)).toEqual([
      { ids: ['1', '3'], columns: ['title', 'year'] },
      { ids: ['2'], columns: ['year'] },
    ]);
  });

  it('groups runs of equal column lists, each its own array as a lookup gives them, and what breaks a run', () => {
    const missing = new Map<string, string[]>();
    const cols = ['a', 'b', 'c', 'd', 'e'];
    for (let i = 0; i < 250; i++) missing.set(`r${i}`, [...cols]);
    missing.set('x', ['b', 'a', 'c', 'd', 'e']);
    missing.set('y', ['a', 'b', 'c', 'd']);
    for (let i = 0; i < 50; i++) missing.set(`s${i}`, [...cols]);
    missing.set('z', ['a', 'b', 'c', 'd', 'f']);
    const batches = planBatches(missing);
    expect(batches.map((b) => [b.columns.join(''), b.ids.length])).toEqual([
      ['abcde', 100],
      ['abcde', 100],
      ['abcde', 100],
      ['abcde', 1],
      ['abcd', 1],
      ['abcdf', 1],
    ]);
    expect(batches.flatMap((b) => b.ids).sort()).toEqual([...missing.keys()].sort());
  });
});

describe('cutBatches (a large request, window by window)', () => {
  it('makes exactly the batches planBatches makes of the whole, whatever the windows', () => {
    // Two column sets, interleaved, so every window leaves a remainder in both groups.
    const all = new Map<string, string[]>();
    const a = ['title'];
    const b = ['year', 'title'];
    for (let i = 0; i < 25_013; i++) all.set(String(i), i % 3 === 0 ? b : a);
    const whole = planBatches(all);
    const size = batchSize(all.size);
    for (const window of [1_000, 7_777, 10_000]) {
      const ids = [...all.keys()];
      const cut: PlannedBatch[] = [];
      let carry = new Map<string, readonly string[]>();
      for (let at = 0; at < ids.length; at += window) {
        for (const id of ids.slice(at, at + window)) carry.set(id, all.get(id)!);
        const last = at + window >= ids.length;
        const step = cutBatches(carry, size, last);
        cut.push(...step.batches);
        carry = step.rest;
      }
      expect(carry.size).toBe(0);
      expect(cut).toHaveLength(whole.length);
      expect(cut.length).toBe(
        plannedBatchCount(
          new Map([
            ['a', 16_675],
            ['b', 8_338],
          ]),
          size,
        ),
      );
      const sizes = (bs: PlannedBatch[]) => bs.map((x) => `${x.columns.join(',')}:${x.ids.length}`).sort();
      expect(sizes(cut)).toEqual(sizes(whole));
      expect(new Set(cut.flatMap((x) => x.ids)).size).toBe(all.size);
    }
  });
});
