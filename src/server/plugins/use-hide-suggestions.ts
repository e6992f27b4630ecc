/**
 * Drops "Did you mean …?" from validation and variable errors: with introspection off, the
 * suggestions would still spell out the schema one guess at a time.
 */
import { type ExecutionResult, GraphQLError } from 'graphql/index.js';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [\s\S]*$/;

function hide<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !SUGGESTION.test(error.message)) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: error.extensions,
  });
}

const onResult = ({
  result,
  setResult,
}: {
  result: ExecutionResult;
  setResult: (r: ExecutionResult) => void;
}) => {
  if (result.errors !== undefined && result.errors.length > 0)
    setResult({ ...result, errors: result.errors.map((e) => hide(e) as GraphQLError) });
};

export function useHideSuggestions(): Plugin {
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map(hide));
      };
    },
    onExecute() {
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, onResult) };
    },
    onSubscribe() {
      return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, onResult) };
    },
  };
}
