/**
 * GraphQL Code Generator (client preset): typed documents for the operations in
 * `test/operations/` against `schema.graphql` (printed from the demo config by `npm run schema`),
 * written to `test/gql/`. The server tests send these documents.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/*.graphql'],
  // NodeNext resolution needs `.js` on the generated relative imports.
  emitLegacyCommonJSImports: false,
  generates: {
    'test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { ID: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
