/** Single-flight through the engine: a caller overlapping a long job waits for its own batch only. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/engine/cache.js';
import type { Fetcher } from '../../src/sources/types.js';
import { createDeferred, type Deferred } from '../helpers/deferred.js';
import { movieRow, recordingFetcher } from '../helpers/recording-fetcher.js';
import { tempDir } from '../helpers/temp-dir.js';

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('single-flight through the engine', () => {
  it('a 1-id query overlapping a 10-batch job is answered once its batch is cached, not when the job ends', async () => {
    const dir = await tempDir();
    const cache = createCache({ cacheDir: path.join(dir, 'cache'), tables: {} });
    const rec = recordingFetcher(movieRow);
    const arrived: Deferred<void>[] = range(0, 9).map(() => createDeferred());
    const gates: Deferred<void>[] = range(0, 9).map(() => createDeferred());
    let n = 0;
    const held: Fetcher = async (ids, columns, ctx) => {
      const i = n++;
      arrived[i]!.resolve();
      await gates[i]!.promise;
      return rec.fetch(ids, columns, ctx);
    };
    let jobDone = false;
    const job = cache.getData('movies', range(1, 1_000), ['title'], { fetcher: held }).then((df) => {
      jobDone = true;
      return df;
    });
    await arrived[0]!.promise;
    const never = recordingFetcher(movieRow);
    const one = cache.getData('movies', ['5'], ['title'], { fetcher: never.fetch });
    gates[0]!.resolve();
    const df = await one;
    expect(df.toRecords()).toEqual([{ id: '5', title: 'Movie 5' }]);
    expect(never.calls).toEqual([]);
    expect(jobDone).toBe(false);
    for (const g of gates) g.resolve();
    expect((await job).height).toBe(1_000);
    expect(rec.calls).toHaveLength(10);
    await cache.close();
  });
});
