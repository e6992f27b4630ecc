/**
 * Scalars of the column types beyond GraphQL's own (DESIGN §3), added only when a table uses
 * them: `BigInt` as a decimal string (a JSON number is exact only up to 2^53, and many clients
 * parse every number as a double), `DateTime` (RFC 3339, UTC) and `Date` (`YYYY-MM-DD`).
 */
import { Kind } from 'graphql';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';
import type { ColumnType } from '../config/types.js';
import type { Builder } from './builder.js';
import type { SchemaPlan } from './table-plan.js';

const DECIMAL_INT = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The decimal text of a 64-bit integer given as text, bigint or safe JS integer. */
function bigIntText(value: unknown): string {
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && DECIMAL_INT.test(value)) n = BigInt(value);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) {
    throw new TypeError(
      `BigInt expects a 64-bit integer as a decimal string (or a JSON integer within ±2^53), got ${JSON.stringify(String(value))}.`,
    );
  }
  return n.toString();
}

function addBigIntScalar(builder: Builder): void {
  builder.scalarType('BigInt', {
    description: 'A signed 64-bit integer, sent as a decimal string: JSON numbers are exact only up to 2^53.',
    serialize: bigIntText,
    parseValue: bigIntText,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT) {
        throw new TypeError('BigInt expects a decimal string such as "9007199254740993".');
      }
      return bigIntText(ast.value);
    },
  });
}

/** Adds the scalars the column types of `plans` need. */
export function addColumnScalars(builder: Builder, plans: SchemaPlan): void {
  const used = new Set<ColumnType>();
  for (const plan of plans.values()) {
    for (const f of plan.fields) if (f.kind === 'column') used.add(f.type);
  }
  if (used.has('BigInt')) addBigIntScalar(builder);
  if (used.has('DateTime')) builder.addScalarType('DateTime', DateTimeResolver);
  if (used.has('Date')) builder.addScalarType('Date', DateResolver);
}
