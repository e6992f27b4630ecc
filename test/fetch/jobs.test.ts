import { describe, expect, it } from 'vitest';
import type { FetchProgress } from '../../src/engine/types.js';
import { Jobs } from '../../src/fetch/jobs.js';

const event = (jobId: string, status: FetchProgress['status'], failedIds: string[] = []): FetchProgress => ({
  jobId,
  table: 'movies',
  status,
  totalIds: 10,
  batchesTotal: 1,
  batchesDone: status === 'RUNNING' ? 0 : 1,
  rowsFetched: 0,
  failedCount: failedIds.length,
  notFoundCount: 0,
  failedIds,
  elapsedMs: 0,
  etaMs: null,
  message: '',
});

describe('Jobs', () => {
  it('keeps the final state with the full failed list; a late RUNNING event does not revive a finished job', () => {
    const jobs = new Jobs();
    jobs.publish(event('a', 'RUNNING'));
    jobs.publish(event('a', 'PARTIAL', ['1', '2']));
    jobs.publish(event('a', 'RUNNING'));
    expect(jobs.get('a')).toMatchObject({ status: 'PARTIAL', failedIds: ['1', '2'] });
  });

  it('lists running jobs first, then finished ones, newest first, without the ones forgotten', () => {
    const jobs = new Jobs({ keepFinished: 2 });
    for (const id of ['r1', 'r2', 'a', 'b', 'c']) jobs.publish(event(id, 'RUNNING'));
    for (const id of ['b', 'a', 'c']) jobs.publish(event(id, 'SUCCEEDED'));
    expect(jobs.list().map((j) => [j.jobId, j.status])).toEqual([
      ['r2', 'RUNNING'],
      ['r1', 'RUNNING'],
      ['c', 'SUCCEEDED'],
      ['a', 'SUCCEEDED'],
    ]);
  });

  it('keeps at most keepFinished finished jobs, the oldest dropped first, and every running one', () => {
    const jobs = new Jobs({ keepFinished: 2 });
    jobs.publish(event('run', 'RUNNING'));
    for (const id of ['a', 'b', 'c']) jobs.publish(event(id, 'SUCCEEDED'));
    expect(jobs.get('a')).toBeUndefined();
    expect(jobs.get('b')?.status).toBe('SUCCEEDED');
    expect(jobs.get('c')?.status).toBe('SUCCEEDED');
    expect(jobs.get('run')?.status).toBe('RUNNING');
    expect(jobs.size).toBe(3);
  });

  it('forgets finished jobs after keepFinishedMs', () => {
    let now = 0;
    const jobs = new Jobs({ keepFinishedMs: 1_000, now: () => now });
    jobs.publish(event('a', 'SUCCEEDED'));
    now = 999;
    expect(jobs.get('a')).toBeDefined();
    now = 1_001;
    expect(jobs.get('a')).toBeUndefined();
  });

  it('bounds the failed ids held across finished jobs, but keeps the newest job whatever its size', () => {
    const jobs = new Jobs({ keepFailedIds: 5 });
    jobs.publish(event('a', 'PARTIAL', ['1', '2', '3']));
    jobs.publish(event('b', 'PARTIAL', ['4', '5']));
    expect(jobs.get('a')).toBeDefined();
    jobs.publish(event('c', 'FAILED', ['6']));
    expect(jobs.get('a')).toBeUndefined();
    expect(jobs.get('b')?.failedIds).toEqual(['4', '5']);
    jobs.publish(event('d', 'FAILED', ['7', '8', '9', '10', '11', '12']));
    expect(jobs.get('b')).toBeUndefined();
    expect(jobs.get('c')).toBeUndefined();
    expect(jobs.get('d')?.failedIds).toHaveLength(6);
  });
});
