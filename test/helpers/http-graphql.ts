/** Raw GraphQL over HTTP with chosen headers, keeping the status and headers a test checks. */
import type { ExecutionResult } from 'graphql';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: ExecutionResult;
}

export async function postGraphQL(
  url: string,
  query: string,
  headers: Record<string, string> = {},
  variables?: Record<string, unknown>,
): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as ExecutionResult,
  };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** `[{ code, path }]` of a result's errors, for compact assertions. */
export function codesOf(result: ExecutionResult): { code: unknown; path: unknown }[] {
  return (result.errors ?? []).map((e) => ({ code: e.extensions?.['code'], path: e.path }));
}
