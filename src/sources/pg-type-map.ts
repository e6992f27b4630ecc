/**
 * How PostgreSQL column types map onto cachegate column types (DESIGN §3), and which declared
 * types a column's values fit. The mapping follows what the SQL sources deliver (`sql.ts`
 * `normalizeValue`): int8 and numeric arrive as exact decimal text, timestamps as ISO 8601 UTC
 * text, dates as `YYYY-MM-DD`, json/jsonb parsed, arrays as arrays.
 */
import type { ColumnType } from '../config/types.js';

/** The form a value of a pg type reaches the cache in. */
type Delivered =
  | 'int'
  | 'int8'
  | 'numeric'
  | 'float'
  | 'bool'
  | 'json'
  | 'timestamp'
  | 'date'
  | 'text'
  | 'array';

const DELIVERED: Record<string, Delivered> = {
  int2: 'int',
  int4: 'int',
  int8: 'int8',
  numeric: 'numeric',
  money: 'numeric',
  float4: 'float',
  float8: 'float',
  bool: 'bool',
  json: 'json',
  jsonb: 'json',
  timestamptz: 'timestamp',
  timestamp: 'timestamp',
  date: 'date',
  array: 'array',
};

/** The type `init` writes for a column of `pgType` (see docs/cli.md for the table). */
const SUGGESTED: Record<Delivered, ColumnType> = {
  int: 'Int',
  int8: 'BigInt',
  // Exact: a Float would round 0.1 + 0.2 and large amounts.
  numeric: 'String',
  float: 'Float',
  bool: 'Boolean',
  json: 'JSON',
  timestamp: 'DateTime',
  date: 'Date',
  text: 'String',
  array: 'JSON',
};

/** Declared types each delivered form is stored as without a refusal. */
const FITS: Record<Delivered, readonly ColumnType[]> = {
  int: ['Int', 'BigInt', 'Float', 'ID'],
  int8: ['BigInt', 'String', 'ID'],
  numeric: ['String', 'ID', 'BigInt'],
  float: ['Float'],
  bool: ['Boolean'],
  json: ['JSON'],
  timestamp: ['DateTime', 'String'],
  date: ['Date', 'String'],
  text: ['String', 'ID', 'JSON'],
  array: ['JSON'],
};

function delivered(pgType: string): Delivered {
  // Everything else (text, varchar, uuid, enums, time, inet, bytea as \x hex, …) arrives as text.
  return DELIVERED[pgType] ?? 'text';
}

export function suggestedType(pgType: string): ColumnType {
  return SUGGESTED[delivered(pgType)];
}

export type Fit = { ok: true; warning?: string } | { ok: false; reason: string };

/** Whether a column of `pgType` can be declared `declared`, and what to declare instead. */
export function fitOf(pgType: string, declared: ColumnType): Fit {
  const form = delivered(pgType);
  const suggested = SUGGESTED[form];
  if (!FITS[form].includes(declared)) {
    return {
      ok: false,
      reason: `declared ${declared}, but the upstream column is ${pgType}, ${REASONS[form]}: declare it ${FITS[form].join(' or ')}${suggested === FITS[form][0] ? '' : ` (${suggested} is the usual choice)`}`,
    };
  }
  if (form === 'numeric' && declared === 'BigInt')
    return {
      ok: true,
      warning: `${pgType} as BigInt: a value with a fraction will be refused at fetch time`,
    };
  if (form === 'text' && declared === 'JSON')
    return {
      ok: true,
      warning: `${pgType} as JSON: every value must be JSON text, anything else is refused`,
    };
  if (form === 'int' && declared === 'Float')
    return { ok: true, warning: `${pgType} as Float: served as a float, declare it Int to keep integers` };
  return { ok: true };
}

const REASONS: Record<Delivered, string> = {
  int: 'whose values arrive as 32-bit integers',
  int8: 'whose values arrive as exact 64-bit decimal text (an Int holds only 32 bits)',
  numeric: 'whose values arrive as exact decimal text',
  float: 'whose values arrive as floating-point numbers',
  bool: 'whose values arrive as booleans',
  json: 'whose values arrive as parsed JSON',
  timestamp: 'whose values arrive as ISO 8601 instants',
  date: 'whose values arrive as YYYY-MM-DD dates',
  text: 'whose values arrive as text',
  array: 'whose values arrive as arrays',
};
