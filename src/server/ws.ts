/**
 * graphql-ws on the same `/graphql` path as HTTP, beside yoga's node:http handler. Every
 * operation goes through `yoga.getEnveloped`, so WebSocket and HTTP share one plugin chain
 * (error mapping, context factory) — the shape of graphql-yoga's examples/graphql-ws.
 */
import type { Server } from 'node:http';
// `graphql/index.js`, not `graphql`: the same CommonJS build yoga and Pothos load under Node, so
// `instanceof GraphQLError` agrees with theirs also under vitest, which would resolve a bare
// `graphql` in our (transformed) sources to the separate ESM build.
import { type ExecutionArgs, GraphQLError } from 'graphql/index.js';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { DEFAULT_LIMITS } from '../config/types.js';
import {
  closeIfSlow,
  logSocketErrors,
  operationCapError,
  type WsLimits,
  wsServerLimits,
} from './ws-limits.js';

interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export interface WsHandle {
  close(): Promise<void>;
}

// Yoga's instance type is generic over its contexts; the ws side needs only getEnveloped.
// biome-ignore lint/suspicious/noExplicitAny: library seam, any yoga instance will do.
type AnyYoga = YogaServerInstance<any, any>;

export function attachGraphQLWs(
  server: Server,
  yoga: AnyYoga,
  limits: WsLimits = DEFAULT_LIMITS,
  logger?: Logger,
): WsHandle {
  const wss: WebSocketServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    ...wsServerLimits(limits, () => wss),
  });
  const disposable = useServer(
    {
      onNext: (ctx) => {
        if (closeIfSlow(ctx.extra.socket, limits))
          logger?.warn(
            { limit: 'wsBufferBytes', value: limits.wsBufferBytes },
            'closed a WebSocket that does not read',
          );
      },
      // The enveloped execute/subscribe travel in rootValue from onSubscribe (yoga's example);
      // graphql-ws calls these with the args onSubscribe returned.
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        const capped = operationCapError(ctx.subscriptions, limits);
        if (capped !== undefined) return [capped];
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          // Returned, not thrown: a thrown error would close the whole socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
        return args;
      },
    },
    wss,
    // graphql-ws's heartbeat; 0 turns it off (useServer takes a non-finite value as off).
    limits.wsPingIntervalMs > 0 ? limits.wsPingIntervalMs : Number.POSITIVE_INFINITY,
  );
  // After useServer: its connection listener has attached the error listener this replaces.
  logSocketErrors(wss, logger);
  return {
    async close() {
      await disposable.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
