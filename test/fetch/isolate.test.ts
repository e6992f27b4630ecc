/** isolateFailure: which calls a failed batch leads to, and which IDs end up failed. */
import { describe, expect, it } from 'vitest';
import { UpstreamFailedError } from '../../src/errors.js';
import type { PlannedBatch } from '../../src/fetch/batch-plan.js';
import { isolateFailure } from '../../src/fetch/isolate.js';
import { TimeoutError } from '../../src/fetch/retry.js';

/** A fake upstream failing any call that holds a poisoned ID; returns the calls it received. */
function upstream(poisoned: (id: string) => boolean, down = false) {
  const calls: string[][] = [];
  const fetchOnce = async (part: PlannedBatch) => {
    calls.push(part.ids);
    if (down || part.ids.some(poisoned)) throw new Error('upstream refused the batch');
    return part.ids.length;
  };
  return { calls, fetchOnce };
}

const batch = (n: number): PlannedBatch => ({
  ids: Array.from({ length: n }, (_, i) => String(i + 1)),
  columns: ['title'],
});
const signal = new AbortController().signal;
const failedIds = (r: { failed: Array<{ batch: PlannedBatch }> }) => r.failed.flatMap((f) => f.batch.ids);
const fetchedIds = (r: { fetched: Array<{ batch: PlannedBatch }> }) => r.fetched.flatMap((f) => f.batch.ids);

describe('isolateFailure', () => {
  it('narrows one poisoned id among 100 down to itself in about 2·log2(100) calls', async () => {
    const { calls, fetchOnce } = upstream((id) => id === '37');
    const r = await isolateFailure(batch(100), new Error('first'), fetchOnce, signal);
    expect(failedIds(r)).toEqual(['37']);
    expect(fetchedIds(r).sort()).toEqual(
      batch(100)
        .ids.filter((id) => id !== '37')
        .sort(),
    );
    expect(calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)));
  });

  it('stops after two calls when both halves fail (a down upstream is not one bad id)', async () => {
    const { calls, fetchOnce } = upstream(() => false, true);
    const first = new Error('connection refused');
    const r = await isolateFailure(batch(100), first, fetchOnce, signal);
    expect(calls).toHaveLength(2);
    expect(r.failed).toEqual([{ batch: batch(100), error: first }]);
  });

  it('does not split timeouts, open circuits, aborted jobs or single ids', async () => {
    const aborted = AbortSignal.abort();
    const cases: Array<[string, PlannedBatch, unknown, AbortSignal]> = [
      ['timeout', batch(10), new TimeoutError(100), signal],
      ['circuit open', batch(10), new UpstreamFailedError('open', { reason: 'CIRCUIT_OPEN' }), signal],
      ['aborted', batch(10), new Error('cache closed'), aborted],
      ['one id', batch(1), new Error('bad'), signal],
    ];
    for (const [name, b, error, s] of cases) {
      const { calls, fetchOnce } = upstream(() => true);
      const r = await isolateFailure(b, error, fetchOnce, s);
      expect({ name, calls }).toEqual({ name, calls: [] });
      expect(r.failed).toEqual([{ batch: b, error }]);
    }
  });
});
