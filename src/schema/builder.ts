/** The Pothos builder type; a fresh builder per `buildSchema` call, as the schema follows the config. */
import SchemaBuilder from '@pothos/core';
import type { SchemaContext } from './context.js';

export interface SchemaTypes {
  Context: SchemaContext;
  // Non-null unless a field says otherwise, as the contract's SDL reads.
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number };
    JSON: { Input: unknown; Output: unknown };
    // Column scalars (column-scalars.ts): the engine hands over text for all three.
    BigInt: { Input: string; Output: string };
    DateTime: { Input: Date; Output: string };
    Date: { Input: Date; Output: string };
  };
}

export function createBuilder() {
  return new SchemaBuilder<SchemaTypes>({ defaultFieldNullability: false });
}

export type Builder = ReturnType<typeof createBuilder>;
export type Types = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;
