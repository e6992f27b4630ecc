import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import {
  type ColumnSpec,
  coerceColumn,
  dtypeOf,
  inferType,
  type LogicalType,
  logicalOf,
  readValues,
  toOutputValue,
  toRecords,
  toSeries,
} from '../../src/cache/column-types.js';
import { TypeConflictError, ValueRefusedError } from '../../src/errors.js';
import { JsonText } from '../../src/json/json-text.js';
import { tempDir } from '../helpers/temp-dir.js';

const BEYOND_2_53 = '9007199254740993'; // 2^53 + 1: a JS number cannot hold it
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '-9223372036854775808';

const coerce = (type: LogicalType, values: unknown[], spec: Partial<ColumnSpec> = {}) =>
  coerceColumn(
    't',
    'c',
    { type, ...spec },
    values,
    values.map((_, i) => `id${i}`),
  );

/** The error `coerce` throws for one value. */
function refusal(type: LogicalType, value: unknown): unknown {
  try {
    coerce(type, [null, value]);
  } catch (e) {
    return e;
  }
  throw new Error(`expected ${String(value)} to be refused as ${type}`);
}

describe('accepted values and their stored form', () => {
  const cases: Array<[LogicalType, unknown, unknown]> = [
    ['string', 'a', 'a'],
    ['int', 2_147_483_647, 2_147_483_647],
    ['int', -2_147_483_648, -2_147_483_648],
    ['int', 42n, 42],
    ['bigint', BigInt(BEYOND_2_53), BEYOND_2_53],
    ['bigint', BEYOND_2_53, BEYOND_2_53],
    ['bigint', INT64_MAX, INT64_MAX],
    ['bigint', INT64_MIN, INT64_MIN],
    ['bigint', '007', '7'],
    ['bigint', 3_000_000_000, '3000000000'],
    ['bigint', Number.MAX_SAFE_INTEGER, '9007199254740991'],
    ['float', 1.5, 1.5],
    ['float', -0, -0],
    ['boolean', false, false],
    ['json', { a: [1, 'x'] }, '{"a":[1,"x"]}'],
    ['json', '{"a":1}', '{"a":1}'],
    ['json', '"a quoted JSON string"', '"a quoted JSON string"'],
    ['json', 'null', 'null'],
    ['json', 3, '3'],
    ['datetime', new Date('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678)],
    ['datetime', '2024-01-02T03:04:05.678Z', Date.UTC(2024, 0, 2, 3, 4, 5, 678)],
    ['datetime', '2024-01-02T05:04:05.678123+02:00', Date.UTC(2024, 0, 2, 3, 4, 5, 678)],
    ['datetime', '2024-01-02 03:04:05', Date.UTC(2024, 0, 2, 3, 4, 5)], // no offset: UTC
    ['datetime', '2024-01-02', Date.UTC(2024, 0, 2)],
    ['datetime', '0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['datetime', '9999-12-31T23:59:59.999Z', 253_402_300_799_999],
    ['date', '2024-02-29', 19_782],
    ['date', '1969-12-31', -1],
    ['date', new Date('2024-01-02T00:00:00Z'), 19_724],
    ['date', '2024-01-02T00:00:00.000Z', 19_724],
    ['date', '0001-01-01', -719_162],
  ];
  it.each(cases)('%s accepts %o, stored as %o', (type, value, stored) => {
    expect(coerce(type, [value, null, undefined])).toEqual([stored, null, null]);
  });

  it('ID columns take integer numbers as their decimal text', () => {
    expect(coerce('string', [7, 8n], { idLike: true })).toEqual(['7', '8']);
  });
});

describe('values the type cannot hold are refused with table, column, id and value', () => {
  const cases: Array<[LogicalType, unknown, string, RegExp]> = [
    ['float', Number.NaN, 'NaN', /not a finite number/],
    ['float', Number.POSITIVE_INFINITY, 'Infinity', /not a finite number/],
    ['float', Number.NEGATIVE_INFINITY, '-Infinity', /not a finite number/],
    ['int', 3_000_000_000, '3000000000', /32-bit range of Int.*declare the column BigInt/],
    ['int', -2_147_483_649, '-2147483649', /32-bit range/],
    ['int', 2n ** 40n, '1099511627776', /32-bit range/],
    ['int', Number.NaN, 'NaN', /not a finite number/],
    ['bigint', '9223372036854775808', '"9223372036854775808"', /signed 64-bit range/],
    ['bigint', 2n ** 63n, '9223372036854775808', /signed 64-bit range/],
    ['bigint', -(2n ** 63n) - 1n, '-9223372036854775809', /signed 64-bit range/],
    ['bigint', 2 ** 60, '1152921504606847000', /beyond 2\^53.*send it as a string/],
    ['bigint', '12.5', '"12.5"', /not a decimal integer/],
    ['bigint', '', '""', /not a decimal integer/],
    ['bigint', '0x1f', '"0x1f"', /not a decimal integer/],
    ['bigint', Number.POSITIVE_INFINITY, 'Infinity', /not a finite number/],
    ['json', 'hello', '"hello"', /not valid JSON text/],
    ['json', '{"a":', '"{\\"a\\":"', /not valid JSON text/],
    ['json', { n: 1n }, '[object Object]', /cannot be written as JSON/],
    ['json', Number.NaN, 'NaN', /not a finite number/],
    ['datetime', 'yesterday', '"yesterday"', /not an ISO 8601 date-time/],
    ['datetime', '2024-02-30T00:00:00Z', '"2024-02-30T00:00:00Z"', /not an ISO 8601 date-time/],
    ['datetime', '2024-01-02T25:00:00Z', '"2024-01-02T25:00:00Z"', /not an ISO 8601/],
    ['datetime', '10000-01-01T00:00:00Z', '"10000-01-01T00:00:00Z"', /0001 and 9999/],
    ['datetime', new Date(Number.NaN), 'Invalid Date', /not an ISO 8601/],
    ['datetime', Number.POSITIVE_INFINITY, 'Infinity', /not an ISO 8601/], // pg's 'infinity'
    ['date', '2023-02-29', '"2023-02-29"', /not a calendar date/],
    ['date', 'infinity', '"infinity"', /not a calendar date/],
    // A Date at local midnight east of Greenwich: which day it meant depends on the server's TZ.
    ['date', new Date('2024-01-01T23:00:00Z'), 'Date(2024-01-01T23:00:00.000Z)', /00:00 UTC/],
    ['date', '2024-01-02T12:00:00Z', '"2024-01-02T12:00:00Z"', /not a calendar date/],
  ];
  it.each(cases)('%s refuses %o', (type, value, shown, why) => {
    const e = refusal(type, value);
    expect(e).toBeInstanceOf(ValueRefusedError);
    const err = e as ValueRefusedError;
    expect(err.code).toBe('UPSTREAM_FAILED');
    expect(err.details).toMatchObject({ reason: 'VALUE_REFUSED', table: 't', column: 'c', id: 'id1' });
    expect(err.details['value']).toBe(shown);
    expect(err.message).toMatch(why);
    expect(err.message).toContain('table "t", column "c"');
    expect(err.message).toContain('id "id1"');
  });

  it('shortens a long value and names the row position when the caller gives no ids', () => {
    const long = `not json ${'x'.repeat(500)}`;
    let err: unknown;
    try {
      coerceColumn('t', 'c', { type: 'json' }, ['{}', long]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValueRefusedError);
    const details = (err as ValueRefusedError).details;
    expect(details).toMatchObject({ row: 1 });
    expect(String(details['value']).length).toBeLessThanOrEqual(80);
    expect(String(details['value'])).toMatch(/^"not json x+…$/);
  });

  it('a value of another kind is still a type conflict, not a refusal', () => {
    const cases: Array<[LogicalType, unknown]> = [
      ['int', 1.5],
      ['int', '5'],
      ['bigint', 1.5],
      ['float', '1.5'],
      ['float', 1n],
      ['datetime', 1_704_164_645_678], // epoch ms or s? Ambiguous, so not guessed.
      ['date', 19_724],
      ['boolean', 'true'],
    ];
    for (const [type, value] of cases) {
      expect(() => coerce(type, [value]), `${type} ← ${String(value)}`).toThrow(TypeConflictError);
    }
  });
});

describe('JSON text the upstream checked (JsonText, from a PostgreSQL json or jsonb value)', () => {
  it('a JSON column stores the text as it is, without parsing it again', () => {
    // Spacing and key order kept: the text is not parsed and written back.
    const text = '{ "b": 1,  "a": [true, null] }';
    expect(coerce('json', [new JsonText(text)])).toEqual([text]);
  });

  it('another column type judges the value the text holds, as it did the parsed value', () => {
    expect(coerce('int', [new JsonText('5')])).toEqual([5]);
    expect(coerce('string', [new JsonText('"x"')])).toEqual(['x']);
    expect(coerce('int', [new JsonText('null')])).toEqual([null]);
    expect(() => coerce('string', [new JsonText('{"a":1}')])).toThrow(/json \(object\)/);
    expect(() => coerce('int', [new JsonText('3000000000')])).toThrow(ValueRefusedError);
  });

  it('infers a JSON column from an object or array, and the type of a scalar as it did parsed', () => {
    expect(inferType(new JsonText('{"a": 1}'))).toBe('json');
    expect(inferType(new JsonText('[1]'))).toBe('json');
    expect(inferType(new JsonText('"x"'))).toBe('string');
    expect(inferType(new JsonText('5'))).toBe('float');
    expect(inferType(new JsonText('true'))).toBe('boolean');
    // Stored as the parsed scalar, not as its JSON text.
    expect(coerce('string', [new JsonText('"abc"')])).toEqual(['abc']);
    expect(coerce('float', [new JsonText('5')])).toEqual([5]);
    expect(JSON.stringify({ d: new JsonText('{"a": [1]}') })).toBe('{"d":{"a":[1]}}');
  });
});

describe('type mapping', () => {
  it('maps config types to logical types and polars dtypes', () => {
    expect(logicalOf('BigInt')).toBe('bigint');
    expect(logicalOf('DateTime')).toBe('datetime');
    expect(logicalOf('Date')).toBe('date');
    expect(dtypeOf('bigint').equals(pl.Int64)).toBe(true);
    expect(dtypeOf('datetime').equals(pl.Datetime('ms', 'UTC'))).toBe(true);
    expect(dtypeOf('date').equals(pl.Date)).toBe(true);
  });

  it('infers bigint from a JS bigint and datetime from a Date', () => {
    expect(inferType(5n)).toBe('bigint');
    expect(inferType(new Date())).toBe('datetime');
    expect(inferType(5)).toBe('float');
  });
});

describe('nodejs-polars 0.25.2 and Int64 (why toSeries/readValues exist)', () => {
  it('turns JS bigints and decimal text into nulls, and reads Int64 back as rounded numbers', () => {
    expect(pl.Series('x', [BigInt(BEYOND_2_53)], pl.Int64).toArray()).toEqual([null]);
    expect(pl.Series('x', [BEYOND_2_53], pl.Int64).toArray()).toEqual([null]);
    const exact = pl.Series('x', [BEYOND_2_53], pl.String).cast(pl.Int64);
    expect(exact.toArray()).toEqual([2 ** 53]);
  });

  it('toSeries and readValues keep every int64 exact', () => {
    const values = [BEYOND_2_53, null, INT64_MAX, INT64_MIN, '0'];
    const s = toSeries('x', 'bigint', values);
    expect(s.dtype.equals(pl.Int64)).toBe(true);
    expect(readValues(s, 'bigint')).toEqual(values);
    const df = pl.DataFrame([s]);
    expect(toRecords(df, { x: 'bigint' }).map((r) => r['x'])).toEqual(values);
  });
});

describe('Parquet round trip per type: native types, values intact', () => {
  const cases: Array<[LogicalType, unknown[], string, unknown[]]> = [
    ['int', [2_147_483_647, null, -2_147_483_648], 'Int64', [2_147_483_647, null, -2_147_483_648]],
    ['bigint', [BigInt(BEYOND_2_53), INT64_MIN, null], 'Int64', [BEYOND_2_53, INT64_MIN, null]],
    ['float', [1.5, null], 'Float64', [1.5, null]],
    ['boolean', [true, null], 'Bool', [true, null]],
    ['json', [{ a: 1 }, null], 'String', ['{"a":1}', null]],
    [
      'datetime',
      ['2024-01-02T03:04:05.678+00:00', null, '0001-01-01T00:00:00Z'],
      'Datetime',
      ['2024-01-02T03:04:05.678Z', null, '0001-01-01T00:00:00.000Z'],
    ],
    ['date', ['2024-02-29', null, '1969-12-31'], 'Date', ['2024-02-29', null, '1969-12-31']],
  ];
  it.each(cases)('%s', async (type, input, dtype, output) => {
    const dir = await tempDir();
    const file = path.join(dir, `${type}.parquet`);
    const stored = coerce(type, input);
    pl.DataFrame([toSeries('v', type, stored)]).writeParquet(file);
    const back = pl.readParquet(await readFile(file));
    expect(String(back.getColumn('v').dtype)).toContain(dtype);
    expect(back.getColumn('v').dtype.equals(dtypeOf(type))).toBe(true);
    const cells = readValues(back.getColumn('v'), type);
    expect(cells.map((c) => toOutputValue(type, c))).toEqual(output);
    // Built again from the cells read back (the store's small-lookup path), nothing changes.
    expect(readValues(toSeries('v', type, cells), type)).toEqual(cells);
  });
});

describe('toOutputValue', () => {
  it('serves BigInt, DateTime and Date as text and leaves the other types as stored', () => {
    expect(toOutputValue('bigint', BEYOND_2_53)).toBe(BEYOND_2_53);
    expect(toOutputValue('bigint', 5n)).toBe('5');
    expect(toOutputValue('datetime', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe(
      '2024-01-02T03:04:05.006Z',
    );
    expect(toOutputValue('datetime', 0)).toBe('1970-01-01T00:00:00.000Z');
    expect(toOutputValue('date', new Date(Date.UTC(2024, 0, 2)))).toBe('2024-01-02');
    expect(toOutputValue('date', -1)).toBe('1969-12-31');
    expect(toOutputValue('int', 7n)).toBe(7);
    expect(toOutputValue('string', 'x')).toBe('x');
    expect(toOutputValue('date', null)).toBeNull();
    expect(toOutputValue('bigint', undefined)).toBeNull();
  });
});

describe('DateTime text in the canonical toISOString form (the fast path)', () => {
  it.each([
    '2024-02-30T00:00:00.000Z',
    '2023-02-29T12:00:00.000Z',
    '2024-02-29T24:00:00.000Z',
    '2024-02-29T23:60:00.000Z',
    '2024-02-29T23:59:60.000Z',
    '2024-13-01T00:00:00.000Z',
  ])('refuses %s', (text) => {
    expect(refusal('datetime', text)).toBeInstanceOf(ValueRefusedError);
  });
});
