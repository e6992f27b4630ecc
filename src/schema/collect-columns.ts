/**
 * The columns a selection set asks of one entity type, so that the root or relation field can
 * load each entity ONCE with all of them, instead of each field loading its own column.
 * Follows fragments and @skip/@include; `field(path:)` contributes its path (literal or
 * variable). Anything missed here still works: the field falls back to its own load.
 */
import {
  type FieldNode,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  getDirectiveValues,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { parsePath } from '../json/json-path.js';
import type { TablePlan } from './table-plan.js';

function included(
  node: Parameters<typeof getDirectiveValues>[1],
  variables: GraphQLResolveInfo['variableValues'],
) {
  if (node.directives === undefined || node.directives.length === 0) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.['if'] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.['if'] !== false;
}

function pathArgument(node: FieldNode, info: GraphQLResolveInfo): string | undefined {
  const arg = node.arguments?.find((a) => a.name.value === 'path');
  if (arg === undefined) return undefined;
  const value =
    arg.value.kind === Kind.STRING
      ? arg.value.value
      : arg.value.kind === Kind.VARIABLE
        ? info.variableValues[arg.value.name.value]
        : undefined;
  if (typeof value !== 'string') return undefined;
  try {
    // An invalid path is left to the field itself, which reports BAD_INPUT for it alone.
    return parsePath(value).raw;
  } catch {
    return undefined;
  }
}

/** Sorted, distinct column names and dot paths the entity fields of `info.fieldNodes` need. */
export function collectColumns(info: GraphQLResolveInfo, plan: TablePlan): string[] {
  const columns = new Set<string>();
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined): void => {
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === 'field') {
          const path = pathArgument(selection, info);
          if (path !== undefined) columns.add(path);
          continue;
        }
        const field = plan.byName.get(name);
        if (field !== undefined) columns.add(field.column);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition?.name.value;
        if (on === undefined || on === plan.typeName) walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = info.fragments[name];
        if (fragment === undefined || visited.has(name)) continue;
        visited.add(name);
        if (fragment.typeCondition.name.value === plan.typeName) walk(fragment.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return [...columns].sort();
}
