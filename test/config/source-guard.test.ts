/** The per-source guard keys (`maxConcurrency`, `breaker`, `healthUrl`) as the config accepts them. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';

const withSource = (source: Record<string, unknown>) => ({ tables: { t: { source } } });

describe('source guard config', () => {
  it.each([
    [{ kind: 'module', path: 'm.mjs' }, {}],
    [{ kind: 'module', path: 'm.mjs', maxConcurrency: 8 }, { maxConcurrency: 8 }],
    [{ kind: 'postgres', url: 'postgres://x/y', table: 't', breaker: false }, { breaker: false }],
    [
      {
        kind: 'http',
        url: 'http://x/{ids}',
        breaker: { failures: 3, halfOpenAfter: '2s' },
        healthUrl: 'http://x/ok',
      },
      {
        breaker: { failures: 3, halfOpenAfterMs: 2000, maxHalfOpenAfterMs: 30_000 },
        healthUrl: 'http://x/ok',
      },
    ],
  ])('accepts %j', (source, expected) => {
    const config = parseConfig(withSource(source), '/tmp');
    expect(config.tables['t']?.source).toMatchObject(expected);
  });

  it.each([
    [{ kind: 'module', path: 'm.mjs', maxConcurrency: 0 }, 'maxConcurrency'],
    [{ kind: 'module', path: 'm.mjs', breaker: { failures: -1 } }, 'breaker'],
    [{ kind: 'module', path: 'm.mjs', breaker: { halfOpenAfter: 'soon' } }, 'halfOpenAfter'],
    [{ kind: 'module', path: 'm.mjs', breaker: { trips: 3 } }, 'trips'],
  ])('refuses %j, naming the key', (source, key) => {
    expect(() => parseConfig(withSource(source), '/tmp')).toThrow(key);
  });
});
