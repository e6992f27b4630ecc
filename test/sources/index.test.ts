import { describe, expect, it } from 'vitest';
import { createSource } from '../../src/sources/index.js';

describe('createSource', () => {
  it('builds the source of each kind with its batch limit', () => {
    expect(
      createSource({ kind: 'http', url: 'http://x/{ids}', idField: 'id', maxSize: 7 }, 't', '.').maxBatchSize,
    ).toBe(7);
    expect(createSource({ kind: 'module', path: 'm.mjs' }, 't', '.').maxBatchSize).toBeUndefined();
    expect(createSource({ kind: 'pglite', idColumn: 'id' }, 't', '.').maxBatchSize).toBe(50_000);
    expect(
      createSource({ kind: 'postgres', url: 'postgres://x/y', idColumn: 'id' }, 't', '.').maxBatchSize,
    ).toBe(50_000);
  });
});
