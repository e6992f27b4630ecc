/** A real graphql-ws client over a real socket, with helpers to collect a subscription's events. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsClient {
  client: Client;
  /** Subscribes and returns an iterator of results; `return()` unsubscribes. */
  subscribe<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): AsyncIterableIterator<ExecutionResult<TResult>>;
  /** Every result until the server completes the operation (or `timeoutMs` passes: rejects). */
  collect<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    timeoutMs?: number,
  ): Promise<ExecutionResult<TResult>[]>;
  close(): Promise<void>;
}

export interface WsClientOptions {
  /** The connection_init payload (`{ authorization: 'Bearer …' }`). */
  connectionParams?: Record<string, unknown>;
  /** The Origin header a browser would send with the upgrade. */
  origin?: string;
}

export function createWsClient(url: string, options: WsClientOptions = {}): WsClient {
  const { origin } = options;
  const webSocketImpl =
    origin === undefined
      ? WebSocket
      : class extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { origin });
          }
        };
  const client = createClient({
    url,
    webSocketImpl,
    lazy: true,
    retryAttempts: 0,
    ...(options.connectionParams === undefined ? {} : { connectionParams: options.connectionParams }),
  });
  const subscribe = <TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ) =>
    client.iterate({ query: print(document), variables }) as AsyncIterableIterator<ExecutionResult<TResult>>;
  return {
    client,
    subscribe,
    async collect(document, variables, timeoutMs = 20_000) {
      const results: ExecutionResult<never>[] = [];
      const iterator = subscribe(document, variables);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          void iterator.return?.();
          reject(
            new Error(`subscription did not complete in ${timeoutMs} ms; got ${JSON.stringify(results)}`),
          );
        }, timeoutMs);
      });
      const drain = (async () => {
        for await (const result of iterator) results.push(result as ExecutionResult<never>);
        return results;
      })();
      try {
        return await Promise.race([drain, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await client.dispose();
    },
  };
}

/**
 * Awaits `first` (a subscription's first event), calling `trigger` to cause events until it
 * settles: graphql-ws does not acknowledge a subscription, so an early trigger can come before
 * the server listens. Gives up after `attempts` triggers.
 */
export async function untilFirst<T>(
  first: Promise<T>,
  trigger: (attempt: number) => Promise<unknown>,
  attempts = 100,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    await trigger(attempt);
    const seen = await Promise.race([first, new Promise<undefined>((r) => setTimeout(r, 50))]);
    if (seen !== undefined) return seen;
  }
  throw new Error(`no event after ${attempts} triggers`);
}
