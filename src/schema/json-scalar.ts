import { JSONResolver } from 'graphql-scalars';
import type { Builder } from './builder.js';

export function addJsonScalar(builder: Builder): void {
  builder.addScalarType('JSON', JSONResolver);
}
