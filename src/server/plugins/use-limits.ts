/**
 * Static limits checked at validation, before anything runs: selection depth and alias count.
 * (The upstream-cost limit is the engine's, as it depends on what is cached.)
 */
// graphql/index.js: see server/errors.ts (one GraphQLError class with yoga's, also under vitest).
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql/index.js';
import type { Plugin } from 'graphql-yoga';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
}

export const DEFAULT_LIMITS: Limits = { maxDepth: 12, maxAliases: 50 };

function measure(
  set: SelectionSetNode | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen: ReadonlySet<string>,
): { depth: number; aliases: number } {
  let depth = 0;
  let aliases = 0;
  for (const s of set?.selections ?? []) {
    let inner: { depth: number; aliases: number };
    if (s.kind === Kind.FIELD) {
      // Introspection (GraphiQL's own query nests `ofType` deeply) is bounded by the schema.
      if (s.name.value === '__schema' || s.name.value === '__type') continue;
      inner = measure(s.selectionSet, fragments, seen);
      inner = { depth: inner.depth + 1, aliases: inner.aliases + (s.alias ? 1 : 0) };
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(s.selectionSet, fragments, seen);
    } else {
      const fragment = fragments.get(s.name.value);
      // Cycles are reported by graphql's own NoFragmentCycles rule.
      if (fragment === undefined || seen.has(s.name.value)) continue;
      inner = measure(fragment.selectionSet, fragments, new Set([...seen, s.name.value]));
    }
    depth = Math.max(depth, inner.depth);
    aliases += inner.aliases;
  }
  return { depth, aliases };
}

export function limitsRule(limits: Limits) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of document.definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      for (const d of document.definitions) {
        if (d.kind !== Kind.OPERATION_DEFINITION) continue;
        const { depth, aliases } = measure(d.selectionSet, fragments, new Set());
        const report = (what: string, got: number, max: number) =>
          context.reportError(
            new GraphQLError(`The operation ${what} ${got}; at most ${max} is allowed.`, {
              nodes: d,
              extensions: { code: 'LIMIT_EXCEEDED' },
            }),
          );
        if (depth > limits.maxDepth) report('nests fields', depth, limits.maxDepth);
        if (aliases > limits.maxAliases) report('uses aliases', aliases, limits.maxAliases);
      }
    },
  });
}

export function useLimits(limits: Limits = DEFAULT_LIMITS): Plugin {
  const rule = limitsRule(limits);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
