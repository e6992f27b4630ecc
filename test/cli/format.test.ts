import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTable } from '../../src/cli/format.js';

describe('format', () => {
  it('aligns a table, numbers to the right', () => {
    expect(
      formatTable(
        ['table', 'rows'],
        [
          ['movies', 5000],
          ['people', 12],
        ],
      ),
    ).toBe(['table    rows', '------  -----', 'movies  5,000', 'people     12'].join('\n'));
  });

  it('prints sizes and durations for humans', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(61_500)).toBe('1m02s');
  });
});
