import { describe, expect, it } from 'vitest';
import { type PlannedBatch, planBatches } from '../../src/fetch/batch-plan.js';
import { InFlight } from '../../src/fetch/single-flight.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

function missing(ids: readonly string[], columns: readonly string[] = ['title']): Map<string, string[]> {
  return new Map(ids.map((id) => [id, [...columns]]));
}

const plan = (mine: ReadonlyMap<string, readonly string[]>): PlannedBatch[] => planBatches(mine);

/** Records whether a promise has settled, without waiting for it. */
function watch(p: Promise<unknown>): { settled: () => boolean } {
  let done = false;
  void p.then(() => {
    done = true;
  });
  return { settled: () => done };
}

describe('InFlight', () => {
  it('a second caller of the same ids claims nothing and waits on the first one’s batch', async () => {
    const f = new InFlight();
    const a = f.claim('movies', missing(range(1, 10)), plan);
    expect(a.batches.map((b) => b.batch.ids)).toEqual([range(1, 10)]);
    expect(f.size).toBe(10);
    const b = f.claim('movies', missing(range(5, 12)), plan);
    expect(b.batches.map((x) => x.batch.ids)).toEqual([['11', '12']]);
    expect(b.waits).toEqual([a.batches[0]!.flight.done]);
    const waiting = watch(Promise.all(b.waits));
    await Promise.resolve();
    expect(waiting.settled()).toBe(false);
    f.release('movies', range(1, 10), a.batches[0]!.flight);
    await Promise.all(b.waits);
    expect(f.size).toBe(2);
  });

  it('claims are per table and per column: another column of a claimed id is claimed anew', () => {
    const f = new InFlight();
    const a = f.claim('movies', missing(['1'], ['title']), plan);
    expect(f.claim('people', missing(['1'], ['title']), plan).batches).toHaveLength(1);
    const b = f.claim('movies', missing(['1'], ['title', 'year']), plan);
    expect(b.batches.map((x) => x.batch)).toEqual([{ ids: ['1'], columns: ['year'] }]);
    expect(b.waits).toEqual([a.batches[0]!.flight.done]);
    // Both columns are now being fetched: a third caller claims nothing.
    const c = f.claim('movies', missing(['1'], ['year', 'title']), plan);
    expect(c.batches).toEqual([]);
    expect(c.waits).toHaveLength(2);
    expect(f.size).toBe(3);
  });

  it('an id-only caller waits on any batch fetching that id; a column caller is not covered by an id-only batch', () => {
    const f = new InFlight();
    const rowOnly = f.claim('movies', missing(['1'], []), plan);
    expect(rowOnly.batches.map((x) => x.batch)).toEqual([{ ids: ['1'], columns: [] }]);
    const cols = f.claim('movies', missing(['1'], ['title']), plan);
    expect(cols.batches.map((x) => x.batch)).toEqual([{ ids: ['1'], columns: ['title'] }]);
    const again = f.claim('movies', missing(['1'], []), plan);
    expect(again.batches).toEqual([]);
    expect(again.waits).toHaveLength(1);
  });

  it('release removes only the claims of its own flight (the owner token), never a later owner’s', () => {
    const f = new InFlight();
    const first = f.claim('movies', missing(['x']), plan).batches[0]!;
    f.release('movies', ['x'], first.flight);
    const second = f.claim('movies', missing(['x']), plan).batches[0]!;
    // The first job ends and releases everything it ever claimed, x included.
    f.release('movies', ['x'], first.flight);
    expect(f.size).toBe(1);
    const third = f.claim('movies', missing(['x']), plan);
    expect(third.batches).toEqual([]);
    expect(third.waits).toEqual([second.flight.done]);
  });

  it('a claim step that throws half-way leaves no claim behind and resumes nobody wrongly', () => {
    const f = new InFlight();
    const held = f.claim('movies', missing(['held']), plan).batches[0]!;
    // The second batch's ids throw after two of them were claimed, as a full Map would.
    const exploding = ['a', 'b', 'c'];
    exploding[Symbol.iterator] = function* () {
      yield 'a';
      yield 'b';
      throw new RangeError('Map maximum size exceeded');
    };
    const throwingPlan = (mine: ReadonlyMap<string, readonly string[]>): PlannedBatch[] => [
      { ids: [...mine.keys()].filter((id) => id.startsWith('ok')), columns: ['title'] },
      { ids: exploding, columns: ['title'] },
    ];
    expect(() => f.claim('movies', missing(['ok1', 'ok2', 'a', 'b', 'c']), throwingPlan)).toThrow(RangeError);
    expect(f.size).toBe(1);
    const retry = f.claim('movies', missing(['ok1', 'ok2', 'a', 'b', 'c', 'held']), plan);
    expect(retry.batches[0]?.batch.ids).toEqual(['ok1', 'ok2', 'a', 'b', 'c']);
    expect(retry.waits).toEqual([held.flight.done]);
  });

  it('claims are bounded: past the bound a caller fetches without claiming, and nothing waits on those ids', () => {
    const f = new InFlight(150);
    const a = f.claim('movies', missing(range(1, 200)), plan);
    expect(a.batches.map((x) => x.batch.ids.length)).toEqual([100, 100]);
    expect(a.unclaimed).toBe(50);
    expect(f.size).toBe(150);
    // Ids beyond the bound are fetched again by a concurrent caller (never a hang) ...
    const b = f.claim('movies', missing(range(151, 200)), plan);
    expect(b.batches.map((x) => x.batch.ids)).toEqual([range(151, 200)]);
    expect(b.waits).toEqual([]);
    expect(b.unclaimed).toBe(50);
    // ... while claimed ones are still shared.
    expect(f.claim('movies', missing(['1', '120']), plan).waits).toHaveLength(2);
    for (const { batch, flight } of [...a.batches, ...b.batches]) f.release('movies', batch.ids, flight);
    expect(f.size).toBe(0);
  });

  it('holds 1,000,000 claims of one table (the bound) without reaching a Map’s size limit', () => {
    const f = new InFlight();
    const ids = range(1, 1_000_000);
    const a = f.claim('movies', missing(ids, ['title', 'year', 'rating', 'details']), plan);
    expect(f.size).toBe(1_000_000);
    const more = f.claim('movies', missing(range(1_000_001, 1_000_100)), plan);
    expect(more.unclaimed).toBe(100);
    for (const { batch, flight } of a.batches) f.release('movies', batch.ids, flight);
    expect(f.size).toBe(0);
  });
});
