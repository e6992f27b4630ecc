/**
 * Items per list argument (`ids`, `columns`), inline or in a variable, checked once per
 * operation before execution, so an oversized list refuses the request whole (HTTP 400) instead
 * of costing a lookup. Static rules cannot do this: variables are known only at execution.
 */
import { type DocumentNode, Kind, visit } from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';
import { limitExceeded } from '../limit-error.js';

/** The longest list argument of the document and where it is, or undefined when none is too long. */
export function longestList(
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): { name: string; length: number } | undefined {
  let longest: { name: string; length: number } | undefined;
  visit(document, {
    Argument(node) {
      const value = node.value;
      const length =
        value.kind === Kind.LIST
          ? value.values.length
          : value.kind === Kind.VARIABLE
            ? lengthOf(variables?.[value.name.value])
            : 0;
      if (length > (longest?.length ?? 0)) longest = { name: node.name.value, length };
    },
  });
  return longest;
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

export function useListLimit(max: number): Plugin {
  const check = (document: DocumentNode, variables: Readonly<Record<string, unknown>> | null | undefined) => {
    const longest = longestList(document, variables);
    if (longest === undefined || longest.length <= max) return undefined;
    return {
      errors: [
        limitExceeded(
          'idsPerList',
          max,
          `Argument "${longest.name}" holds ${longest.length} items. Split the list over several requests (or warm the IDs in several calls).`,
          { actual: longest.length },
        ),
      ],
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args.document, args.variableValues);
      if (refused !== undefined) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args.document, args.variableValues);
      if (refused !== undefined) setResultAndStopExecution(refused);
    },
  };
}
