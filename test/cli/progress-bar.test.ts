import { describe, expect, it } from 'vitest';
import { createProgressReporter, renderBar } from '../../src/cli/progress-bar.js';
import type { FetchProgress } from '../../src/engine/types.js';

const event = (over: Partial<FetchProgress>): FetchProgress => ({
  jobId: 'j1',
  table: 'movies',
  status: 'RUNNING',
  totalIds: 100,
  batchesTotal: 4,
  batchesDone: 0,
  rowsFetched: 0,
  failedCount: 0,
  notFoundCount: 0,
  failedIds: [],
  elapsedMs: 0,
  etaMs: null,
  message: '',
  ...over,
});

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 100, write: (s: string) => writes.push(s) } };
}

describe('progress bar', () => {
  it('renders the share of batches done, rows and eta', () => {
    expect(renderBar(event({ batchesDone: 1, rowsFetched: 25, elapsedMs: 1200, etaMs: 3600 }), 120)).toBe(
      `movies [${'#'.repeat(6)}${'-'.repeat(18)}]  25%  1/4 batches  25/100 rows  1.2s  eta 3.6s`,
    );
    expect(
      renderBar(event({ status: 'PARTIAL', batchesDone: 4, failedCount: 1, failedIds: ['x'] }), 120),
    ).toContain(`[${'#'.repeat(24)}] 100%`);
  });

  it('shrinks the bar, then cuts the line, to fit the terminal', () => {
    const running = event({ batchesDone: 2, rowsFetched: 50, elapsedMs: 1200, etaMs: 3600 });
    const line = renderBar(running, 70);
    expect(line).toBe('movies [#######------]  50%  2/4 batches  50/100 rows  1.2s  eta 3.6s');
    expect(line.length).toBeLessThanOrEqual(69);
    expect(renderBar(running, 40)).toHaveLength(39);
  });

  it('redraws in place on a TTY, throttled, and ends the line when finished', () => {
    const { writes, out } = recorder(true);
    let now = 0;
    const bar = createProgressReporter(out, () => now);
    bar.update(event({}));
    now = 10;
    bar.update(event({ batchesDone: 1 })); // within the redraw interval: skipped
    now = 200;
    bar.update(event({ status: 'SUCCEEDED', batchesDone: 4, rowsFetched: 100 }));
    bar.finish();
    expect(writes).toHaveLength(3);
    expect(writes.slice(0, 2).every((w) => w.startsWith('\r'))).toBe(true);
    expect(writes[1]).toContain('100%');
    expect(writes[2]).toBe('\n');
  });

  it('prints one plain line per visible change when not on a TTY', () => {
    const { writes, out } = recorder(false);
    const bar = createProgressReporter(out);
    bar.update(event({}));
    bar.update(event({ elapsedMs: 5 })); // nothing visible changed
    bar.update(event({ batchesDone: 2, rowsFetched: 50 }));
    bar.update(event({ status: 'SUCCEEDED', batchesDone: 4, rowsFetched: 100 }));
    bar.finish();
    expect(writes).toEqual([
      'running movies 0%  0/4 batches  0/100 rows  0ms\n',
      'running movies 50%  2/4 batches  50/100 rows  0ms\n',
      'succeeded movies 100%  4/4 batches  100/100 rows  0ms\n',
    ]);
  });
});
