/**
 * Field-level access: wraps the root fields' resolvers so a field the caller's role may not use
 * fails alone with FORBIDDEN at its own path, and the other root fields are still served.
 * Root fields only: every operator-only operation of DESIGN §4 is one.
 */
import { defaultFieldResolver, type GraphQLField, type GraphQLSchema } from 'graphql';
import { ForbiddenError } from '../../errors.js';
import { type RootKind, requiredRole } from './access-policy.js';
import { hasRole, type Principal } from './principal.js';

interface WithPrincipal {
  principal: Principal;
}

function forbidden(kind: RootKind, field: string, principal: Principal): ForbiddenError {
  const what =
    kind === 'Subscription' && field === 'fetchProgress'
      ? 'fetchProgress without a jobId (it shows the IDs of every job) needs the operator role; readers subscribe with the jobId of their own job'
      : `${kind}.${field} needs the operator role`;
  return new ForbiddenError(
    `${what}, but this token has the ${principal.role} role. Leave the field out, or use an operator token.`,
    { field, role: principal.role, requiredRole: 'operator' },
  );
}

/** Mutates `schema` in place (built per app, so nothing else shares it). */
export function guardRootFields(schema: GraphQLSchema, tableFields: ReadonlySet<string>): void {
  const roots: [RootKind, ReturnType<GraphQLSchema['getQueryType']>][] = [
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()],
  ];
  for (const [kind, type] of roots) {
    if (type === null || type === undefined) continue;
    for (const field of Object.values(type.getFields())) {
      const check = (args: Record<string, unknown>, context: WithPrincipal): void => {
        if (!hasRole(context.principal, requiredRole(kind, field.name, args, tableFields)))
          throw forbidden(kind, field.name, context.principal);
      };
      // graphql-js reads `resolve`/`subscribe` from the field object at execution time.
      const target = field as GraphQLField<unknown, WithPrincipal>;
      if (kind === 'Subscription') {
        const subscribe = target.subscribe ?? defaultFieldResolver;
        target.subscribe = (source, args, context, info) => {
          check(args, context);
          return subscribe(source, args, context, info);
        };
      } else {
        const resolve = target.resolve ?? defaultFieldResolver;
        target.resolve = (source, args, context, info) => {
          check(args, context);
          return resolve(source, args, context, info);
        };
      }
    }
  }
}
