/**
 * Large polars frames are declared to V8 as external memory (a buffer of their decoded size that
 * lives as long as the frame), so dropping them leads V8 to collect their wrappers, and polars
 * to free them.
 */
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { frameBytes, weigh, weightOf } from '../../src/cache/native-weight.js';

const frame = (rows: number) =>
  pl.DataFrame([
    pl.Series(
      'id',
      Array.from({ length: rows }, (_, i) => `id-${i}`),
      pl.String,
    ),
    pl.Series('n', new Float64Array(rows)),
  ]);

describe('native weight', () => {
  it('counts a large frame as external memory of its decoded size, once', () => {
    const df = frame(200_000);
    expect(frameBytes(df)).toBeGreaterThan(1 << 20);
    // An explicit size well above what other buffers freed meanwhile could hide.
    const bytes = 256 << 20;
    const { arrayBuffers: before, rss } = process.memoryUsage();
    expect(weigh(df, bytes)).toBe(df);
    const once = process.memoryUsage().arrayBuffers;
    weigh(df, bytes);
    const twice = process.memoryUsage().arrayBuffers;
    expect(once - before).toBeGreaterThan(bytes * 0.95);
    expect(Math.abs(twice - once)).toBeLessThan(bytes * 0.05);
    // Address space only: the buffer's pages are never written, so resident memory stays.
    expect(process.memoryUsage().rss - rss).toBeLessThan(bytes / 4);
  });

  it('leaves frames under 1 MB alone, and declares a frame once', () => {
    const small = weigh(frame(100), (1 << 20) - 1);
    expect(weightOf(small)).toBe(0);
    const large = weigh(frame(100), 64 << 20);
    expect(weightOf(large)).toBe(64 << 20);
    weigh(large, 128 << 20);
    expect(weightOf(large)).toBe(64 << 20);
  });
});
