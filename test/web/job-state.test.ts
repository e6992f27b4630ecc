/** The jobs page's state, without a browser: merging snapshot and live events, and formatting. */
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatEta,
  formatRate,
  fractionDone,
  JobList,
  type JobView,
  MAX_JOBS,
  parseIds,
  rowsPerSecond,
} from '../../web/jobs-page/job-state.js';

const job = (jobId: string, patch: Partial<JobView> = {}): JobView => ({
  jobId,
  table: 'movies',
  status: 'RUNNING',
  totalIds: 100,
  batchesTotal: 10,
  batchesDone: 0,
  rowsFetched: 0,
  failedCount: 0,
  notFoundCount: 0,
  elapsedMs: 0,
  etaMs: null,
  message: '',
  ...patch,
});

describe('JobList', () => {
  it('keeps the latest state: a late snapshot never takes a job back', () => {
    const list = new JobList();
    expect(list.apply(job('a', { batchesDone: 5, rowsFetched: 50 }))).toBe(true);
    expect(list.apply(job('a', { batchesDone: 3, rowsFetched: 30 }))).toBe(false);
    expect(list.apply(job('a', { status: 'SUCCEEDED', batchesDone: 10, rowsFetched: 100 }))).toBe(true);
    // A RUNNING event arriving after the final one (snapshot taken earlier) is dropped.
    expect(list.apply(job('a', { batchesDone: 9, rowsFetched: 90 }))).toBe(false);
    expect(list.list().map((j) => [j.jobId, j.status])).toEqual([['a', 'SUCCEEDED']]);
  });

  it('lists running jobs first, newest first, with a snapshot keeping its order', () => {
    const list = new JobList();
    // The snapshot lists newest first.
    list.applySnapshot([job('c', { status: 'SUCCEEDED' }), job('b'), job('a', { status: 'FAILED' })]);
    list.apply(job('d'));
    expect(list.list().map((j) => j.jobId)).toEqual(['d', 'b', 'c', 'a']);
  });

  it(`keeps at most ${MAX_JOBS} jobs, dropping the oldest finished ones`, () => {
    const list = new JobList();
    list.apply(job('running-old'));
    for (let i = 0; i < MAX_JOBS + 5; i++) list.apply(job(`done-${i}`, { status: 'SUCCEEDED' }));
    const ids = list.list().map((j) => j.jobId);
    expect(ids).toHaveLength(MAX_JOBS);
    expect(ids).toContain('running-old');
    expect(ids).not.toContain('done-0');
    expect(ids).toContain(`done-${MAX_JOBS + 4}`);
  });
});

describe('numbers', () => {
  it('fills the bar by batches, and fully once finished', () => {
    expect(fractionDone(job('a', { batchesDone: 3 }))).toBe(0.3);
    expect(fractionDone(job('a', { batchesTotal: 0 }))).toBe(0);
    expect(fractionDone(job('a', { status: 'PARTIAL', batchesDone: 4 }))).toBe(1);
  });

  it('reads rate, durations and ETA', () => {
    expect(rowsPerSecond(job('a', { rowsFetched: 500, elapsedMs: 2000 }))).toBe(250);
    expect(rowsPerSecond(job('a'))).toBeNull();
    expect(formatRate(250)).toBe('250 rows/s');
    expect(formatRate(12_345.6)).toBe('12,346 rows/s');
    expect(formatRate(2.25)).toBe('2.3 rows/s');
    expect(formatRate(null)).toBe('–');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_440_000)).toBe('2 h 04 min');
    expect(formatEta(job('a', { etaMs: 4000 }))).toBe('4 s');
    expect(formatEta(job('a', { etaMs: null }))).toBe('–');
    expect(formatEta(job('a', { status: 'SUCCEEDED', etaMs: 0 }))).toBe('–');
  });
});

describe('parseIds', () => {
  it.each([
    { case: 'one per line', text: '1\n2\r\n3\n', ids: ['1', '2', '3'] },
    { case: 'commas and spaces', text: '1, 2,3  4\t5', ids: ['1', '2', '3', '4', '5'] },
    { case: 'a CSV with an id header and quotes', text: 'id\n"a-1"\n"b-2"\n', ids: ['a-1', 'b-2'] },
    { case: 'duplicates, first order kept', text: '2\n1\n2\n', ids: ['2', '1'] },
    { case: 'nothing', text: ' \n ', ids: [] },
  ])('reads $case', ({ text, ids }) => {
    expect(parseIds(text)).toEqual(ids);
  });
});
