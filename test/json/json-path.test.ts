import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { CellParseFailure, decodeJsonCell, extractPath, parsePath } from '../../src/json/json-path.js';

describe('parsePath', () => {
  it('splits the column from the steps; digit segments become indices', () => {
    expect(parsePath('details.cast.0.name')).toEqual({
      raw: 'details.cast.0.name',
      column: 'details',
      steps: ['cast', 0, 'name'],
    });
  });

  it('treats a plain column name as a path without steps', () => {
    expect(parsePath('title')).toEqual({ raw: 'title', column: 'title', steps: [] });
  });

  it('keeps non-canonical digit runs as keys', () => {
    expect(parsePath('a.007.12').steps).toEqual(['007', 12]);
    expect(parsePath('a.12345678901234567890').steps).toEqual(['12345678901234567890']);
  });

  it.each([
    ['', /column name or a dot path/],
    ['a..b', /empty segment/],
    ['.a', /start or end with a dot/],
    ['a.', /start or end with a dot/],
    ['a.b\nc', /control characters/],
    ['a\u0000', /control characters/],
    [`c.${Array.from({ length: 33 }, () => 'k').join('.')}`, /33 steps.*at most 32/],
  ])('rejects %j with BadInputError', (path, message) => {
    let error: unknown;
    try {
      parsePath(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).code).toBe('BAD_INPUT');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(JSON.stringify(path));
  });

  it('accepts exactly 32 steps', () => {
    expect(parsePath(`c.${Array.from({ length: 32 }, () => 'k').join('.')}`).steps).toHaveLength(32);
  });
});

describe('extractPath', () => {
  const cell = JSON.stringify({
    cast: [{ name: 'Ada', age: 36 }, { name: 'Bob' }],
    meta: { score: 8.5, tags: ['x'], flag: false, nothing: null },
    byYear: { '1999': 'old', '007': 'bond' },
  });

  it('walks objects and arrays, keeping value types', () => {
    expect(extractPath(cell, ['cast', 0, 'name'])).toBe('Ada');
    expect(extractPath(cell, ['cast', 0, 'age'])).toBe(36);
    expect(extractPath(cell, ['meta', 'score'])).toBe(8.5);
    expect(extractPath(cell, ['meta', 'flag'])).toBe(false);
    expect(extractPath(cell, ['meta', 'tags'])).toEqual(['x']);
    expect(extractPath(cell, ['cast', 1])).toEqual({ name: 'Bob' });
  });

  it('returns the whole value for no steps, and accepts decoded cells', () => {
    expect(extractPath('[1,2]', [])).toEqual([1, 2]);
    expect(extractPath({ a: [10, 20] }, ['a', 1])).toBe(20);
  });

  it('uses numeric steps as keys on objects', () => {
    expect(extractPath(cell, ['byYear', 1999])).toBe('old');
    expect(extractPath(cell, ['byYear', '007'])).toBe('bond');
  });

  it('gives null, never undefined, for anything missing', () => {
    expect(extractPath(cell, ['nope'])).toBeNull();
    expect(extractPath(cell, ['cast', 5, 'name'])).toBeNull();
    expect(extractPath(cell, ['cast', 1, 'age'])).toBeNull();
    expect(extractPath(cell, ['meta', 'score', 'deeper'])).toBeNull();
    expect(extractPath(cell, ['cast', 'length'])).toBeNull();
    expect(extractPath(cell, ['meta', 'constructor'])).toBeNull();
    expect(extractPath(cell, ['meta', 'nothing'])).toBeNull();
    expect(extractPath('"text"', ['a'])).toBeNull();
  });

  it('gives null for null cells', () => {
    expect(extractPath(null, ['a'])).toBeNull();
    expect(extractPath(undefined, [])).toBeNull();
    expect(extractPath('null', ['a'])).toBeNull();
  });

  it('throws CellParseFailure for invalid JSON text', () => {
    expect(() => extractPath('{"a":', ['a'])).toThrow(CellParseFailure);
    try {
      extractPath('not json', []);
    } catch (e) {
      expect(e).toBeInstanceOf(CellParseFailure);
      expect((e as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });
});

describe('decodeJsonCell', () => {
  it('parses text, passes decoded values and null through', () => {
    expect(decodeJsonCell('{"a":1}')).toEqual({ a: 1 });
    expect(decodeJsonCell('3')).toBe(3);
    expect(decodeJsonCell(null)).toBeNull();
    expect(decodeJsonCell({ a: 1 })).toEqual({ a: 1 });
    expect(() => decodeJsonCell('{')).toThrow(CellParseFailure);
  });
});
