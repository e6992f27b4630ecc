/**
 * Properties of the dot-path parser and extractor over generated input (fast-check): any string
 * is a path or a BadInputError — never another error — and a parsed path prints back to itself;
 * extraction of any steps from any JSON finds exactly what walking the value by hand finds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { CellParseFailure, extractPath, MAX_PATH_STEPS, parsePath } from '../../src/json/json-path.js';

// Segments that stress the parser: digit runs (indices or keys), prototype names, dots, unicode.
const segment = fc.oneof(
  fc.string({ minLength: 0, maxLength: 6 }),
  fc.stringMatching(/^[0-9]{1,20}$/),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'length', 'toString', '0', '007', '-1'),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)), maxLength: 3 }),
);
const pathText = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 40 }).map((s) => s.join('.')),
  fc.string({ unit: 'binary', maxLength: 50 }),
);

/** What a step finds in a value, by the contract: own keys, canonical indices, else null. */
function walk(value: unknown, steps: ReadonlyArray<string | number>): unknown {
  let v = value;
  for (const step of steps) {
    if (v === null || typeof v !== 'object') return null;
    if (Array.isArray(v)) {
      if (typeof step !== 'number' || step >= v.length) return null;
      v = v[step];
    } else {
      const entries = Object.entries(v);
      const hit = entries.find(([k]) => k === String(step));
      if (hit === undefined) return null;
      v = hit[1];
    }
  }
  return v ?? null;
}

describe('parsePath (properties)', () => {
  it('answers any string with a path that prints back to it, or a BadInputError', () => {
    fc.assert(
      fc.property(pathText, (text) => {
        let parsed: ReturnType<typeof parsePath>;
        try {
          parsed = parsePath(text);
        } catch (e) {
          expect(e).toBeInstanceOf(BadInputError);
          return;
        }
        expect(parsed.raw).toBe(text);
        expect(parsed.column.length).toBeGreaterThan(0);
        expect(parsed.steps.length).toBeLessThanOrEqual(MAX_PATH_STEPS);
        expect([parsed.column, ...parsed.steps.map(String)].join('.')).toBe(text);
        for (const step of parsed.steps) {
          if (typeof step === 'number') expect(Number.isSafeInteger(step) && step >= 0).toBe(true);
          // A number prints back to the same digits, so no two paths share a meaning.
          else expect(/^(?:0|[1-9]\d{0,14})$/.test(step)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses control characters anywhere in a path', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 0x1f }), fc.string(), (before, code, after) => {
        expect(() => parsePath(`${before}${String.fromCharCode(code)}${after}`)).toThrow(BadInputError);
      }),
    );
  });
});

describe('extractPath (properties)', () => {
  // Through JSON text and back: a stored cell is JSON text, which cannot hold -0 (it reads as 0),
  // so the generated value is what a cell can actually be.
  const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

  it('finds what walking the value by hand finds, for steps taken from the value or made up', () => {
    const stepsInto = (value: unknown): fc.Arbitrary<Array<string | number>> => {
      const keys: Array<string | number> = ['__proto__', 'constructor', 'length', 0, 1, 'x'];
      const collect = (v: unknown) => {
        if (Array.isArray(v)) keys.push(...v.keys());
        else if (v !== null && typeof v === 'object') keys.push(...Object.keys(v));
      };
      collect(value);
      if (value !== null && typeof value === 'object')
        for (const inner of Object.values(value)) collect(inner);
      return fc.array(fc.constantFrom(...keys), { maxLength: 4 });
    };
    fc.assert(
      fc.property(
        json.chain((value) => fc.tuple(fc.constant(value), stepsInto(value))),
        ([value, steps]) => {
          const expected = walk(value, steps);
          expect(extractPath(JSON.stringify(value), steps)).toEqual(expected);
          // An already decoded cell gives the same answer (a string cell is JSON text, not a value).
          if (typeof value !== 'string') expect(extractPath(value, steps)).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('answers any text cell with a value (never undefined) or a CellParseFailure', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.oneof(fc.string(), fc.nat()), { maxLength: 3 }),
        (cell, steps) => {
          try {
            expect(extractPath(cell, steps)).not.toBeUndefined();
          } catch (e) {
            expect(e).toBeInstanceOf(CellParseFailure);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
