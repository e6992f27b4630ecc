/**
 * One span per GraphQL operation (`graphql.query Movies`), made the active context while it
 * executes, so the loader batches, cache lookups and upstream batches of the request nest under
 * it. A no-op unless tracing was started (`server/tracing.ts`).
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function useTracing(): Plugin<{ requestId?: string }> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const op = getOperationAST(args.document, args.operationName);
      const kind = op?.operation ?? 'operation';
      const name = op?.name?.value;
      setExecuteFn((execArgs) =>
        trace.getTracer('cachegate').startActiveSpan(
          `graphql.${kind}${name ? ` ${name}` : ''}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'graphql.operation.type': kind,
              ...(name ? { 'graphql.operation.name': name } : {}),
            },
          },
          async (span) => {
            const requestId = args.contextValue.requestId;
            if (requestId !== undefined) span.setAttribute('cachegate.request_id', requestId);
            try {
              const result = await executeFn(execArgs);
              const errors = 'errors' in result ? (result.errors ?? []) : [];
              if (errors.length > 0) {
                span.setAttribute('graphql.error_count', errors.length);
                span.setStatus({
                  code: SpanStatusCode.ERROR,
                  message: errors[0]?.message ?? 'GraphQL errors',
                });
              }
              return result;
            } catch (e) {
              span.setStatus({
                code: SpanStatusCode.ERROR,
                message: e instanceof Error ? e.message : String(e),
              });
              throw e;
            } finally {
              span.end();
            }
          },
        ),
      );
    },
  };
}
