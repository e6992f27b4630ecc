/** Refuses `__schema` and `__type` (graphql-js's own rule); `__typename` keeps working. */
// `graphql/index.js`: the build yoga loads, so the rule's GraphQLError is the one yoga knows.
import { NoSchemaIntrospectionCustomRule } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';

export function useDisableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}
