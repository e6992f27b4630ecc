/**
 * `/metrics` upstream series: errors and retries per table, and the per-batch latency histogram
 * fed with each batch's own timing, over a module source that fails chosen attempts.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BATCH, DEFAULT_STORE } from '../../src/config/types.js';
import { serverTempDir, startTestServer, type TestServer } from '../helpers/server.js';

// Each batch sleeps DELAY ms; IDs starting with "r" fail their first attempt, "x" every attempt.
const DELAY_MS = 60;
const SOURCE = `
export async function fetch(ids, columns, ctx) {
  await new Promise((resolve) => setTimeout(resolve, ${DELAY_MS}));
  if (ids.some((id) => id.startsWith('x'))) throw new Error('upstream down');
  if (ctx.attempt === 1 && ids.some((id) => id.startsWith('r'))) throw new Error('connection reset');
  return ids.map((id) => ({ id, name: 'n' + id }));
}`;

let server: TestServer;
beforeAll(async () => {
  const dir = await serverTempDir();
  await writeFile(path.join(dir, 'source.mjs'), SOURCE);
  server = await startTestServer({
    config: {
      cacheDir: path.join(dir, 'cache'),
      baseDir: dir,
      store: DEFAULT_STORE,
      tables: {
        things: {
          typeName: 'Thing',
          source: { kind: 'module', path: 'source.mjs', breaker: false },
          columns: { name: 'String' },
          notFoundTtlMs: 60_000,
          batch: { ...DEFAULT_BATCH, maxSize: 2, retries: 2, backoffMs: 1 },
        },
      },
    },
  });
});
afterAll(() => server.stop());

async function metrics(): Promise<string> {
  return (await fetch(`${server.origin}/metrics`)).text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('/metrics upstream series', () => {
  it('observes each batch once, with its own duration, by outcome', async () => {
    // Four IDs, batches of two, run one after the other: two batches, each at least DELAY_MS.
    await server.requestText('{ things(ids: ["1", "2", "3", "4"]) { name } }');
    const text = await metrics();
    expect(value(text, 'cachegate_upstream_batch_duration_seconds_count{table="things",outcome="ok"}')).toBe(
      2,
    );
    const sum = value(text, 'cachegate_upstream_batch_duration_seconds_sum{table="things",outcome="ok"}');
    expect(sum).toBeGreaterThanOrEqual((2 * DELAY_MS) / 1000);
    // No batch can be faster than the upstream's sleep: none in the buckets below it.
    expect(
      value(text, 'cachegate_upstream_batch_duration_seconds_bucket{le="0.05",table="things",outcome="ok"}'),
    ).toBe(0);
    expect(value(text, 'cachegate_upstream_errors_total{table="things"}')).toBe(0);
  });

  it('counts a failed attempt that was retried as one error and one retry', async () => {
    await server.requestText('{ things(ids: ["r1"]) { name } }');
    const text = await metrics();
    expect(value(text, 'cachegate_upstream_errors_total{table="things"}')).toBe(1);
    expect(value(text, 'cachegate_upstream_retries_total{table="things"}')).toBe(1);
    expect(value(text, 'cachegate_upstream_batch_duration_seconds_count{table="things",outcome="ok"}')).toBe(
      3,
    );
  });

  it('counts every attempt of a batch that fails for good, and observes it as failed', async () => {
    const result = await server.requestText('{ things(ids: ["x1"]) { name } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_FAILED');
    const text = await metrics();
    // 1 before, plus 3 attempts (first + 2 retries) that all failed.
    expect(value(text, 'cachegate_upstream_errors_total{table="things"}')).toBe(4);
    expect(value(text, 'cachegate_upstream_retries_total{table="things"}')).toBe(3);
    expect(
      value(text, 'cachegate_upstream_batch_duration_seconds_count{table="things",outcome="failed"}'),
    ).toBe(1);
    expect(value(text, 'cachegate_upstream_calls_total{table="things"}')).toBe(2 + 2 + 3);
  });
});
