/**
 * Runs every execution and subscription result through `server/errors.ts`: engine errors keep
 * their code; unexpected ones are logged with the request id and masked. It sits before yoga's
 * own masking (user plugins come first), so it still sees the original errors and the context.
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { ServerContext } from '../context.js';
import { cacheGateErrorOf, isGraphQLOwnError, maskedError, toGraphQLError } from '../errors.js';

function mapErrors(errors: readonly GraphQLError[], context: Partial<ServerContext>): GraphQLError[] {
  // One failed batch is the same error at every entry it failed: its cause is logged once.
  const logged = new Set<unknown>();
  return errors.map((error) => {
    const domain = cacheGateErrorOf(error);
    if (domain?.code === 'UPSTREAM_FAILED' && !logged.has(domain)) {
      logged.add(domain);
      context.logger?.error(
        { err: domain, reqId: context.requestId, path: error.path, ...domain.details },
        'upstream failed',
      );
    }
    const mapped = toGraphQLError(error, context.requestId);
    if (mapped !== undefined) return mapped;
    if (isGraphQLOwnError(error)) return error;
    context.logger?.error(
      { err: error.originalError ?? error, reqId: context.requestId, path: error.path },
      'unexpected error',
    );
    return maskedError(error, context.requestId);
  });
}

export function useErrorMapping(): Plugin<ServerContext> {
  const onResult = (context: Partial<ServerContext>) => {
    return ({ result, setResult }: { result: ExecutionResult; setResult: (r: ExecutionResult) => void }) => {
      if (result.errors !== undefined && result.errors.length > 0) {
        setResult({ ...result, errors: mapErrors(result.errors, context) });
      }
    };
  };
  return {
    onExecute({ args }) {
      return {
        onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, onResult(args.contextValue)),
      };
    },
    onSubscribe({ args }) {
      return {
        onSubscribeResult: (payload) =>
          handleStreamOrSingleExecutionResult(payload, onResult(args.contextValue)),
      };
    },
  };
}
