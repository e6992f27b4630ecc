/** `limits` in the config: defaults when absent, units, and a misspelt key named in the error. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_LIMITS } from '../../src/config/types.js';

const parse = (limits?: unknown) =>
  parseConfig({ tables: {}, ...(limits === undefined ? {} : { limits }) }, '/srv/app', {});

describe('limits config', () => {
  it('is on by default', () => {
    expect(parse().limits).toEqual(DEFAULT_LIMITS);
  });

  it('takes sizes and durations with units, and keeps the defaults of keys not given', () => {
    expect(
      parse({ requestBodyBytes: '2MiB', wsPingInterval: '5s', idsPerList: 500, wsBufferBytes: 1000 }).limits,
    ).toEqual({
      ...DEFAULT_LIMITS,
      requestBodyBytes: 2 * 1024 * 1024,
      wsPingIntervalMs: 5000,
      idsPerList: 500,
      wsBufferBytes: 1000,
    });
  });

  it.each([
    [{ idsPerLst: 5 }, /limits.*idsPerLst/],
    [{ depth: 0 }, /limits\.depth/],
    [{ requestBodyBytes: 'lots' }, /limits\.requestBodyBytes: expected a positive size/],
    [{ wsPingInterval: 'often' }, /limits\.wsPingInterval: expected a duration/],
  ])('refuses %j, naming the key', (limits, message) => {
    expect(() => parse(limits)).toThrow(message);
  });
});
