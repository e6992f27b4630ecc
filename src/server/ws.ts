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
import type { Authenticator } from './auth/authenticate.js';
import type { HostPolicy } from './auth/hosts.js';
import type { OriginPolicy } from './auth/origins.js';
import { OPEN_PRINCIPAL, type Principal } from './auth/principal.js';
import {
  closeIfSlow,
  logSocketErrors,
  operationCapError,
  type WsLimits,
  wsServerLimits,
} from './ws-limits.js';

/** graphql-ws close code for a refused connection_init (its CloseCode.Forbidden). */
export const CLOSE_FORBIDDEN = 4403;

export interface WsAccess {
  /** Checks the `authorization` of the connection_init payload; absent when `auth` is not configured. */
  authenticator?: Authenticator | undefined;
  /** Refuses upgrades from browser pages of origins not allowed (`cors.origins`). */
  origins: OriginPolicy;
  /** Refuses upgrades whose Host is not allowed (DNS rebinding, see auth/hosts.ts). */
  hosts?: HostPolicy | undefined;
  onRefused?: (reason: string) => void;
}

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
  access?: WsAccess,
  limits: WsLimits = DEFAULT_LIMITS,
  logger?: Logger,
): WsHandle {
  const capped = wsServerLimits(limits, () => wss);
  const wss: WebSocketServer = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: capped.maxPayload,
    // Browsers apply no CORS to WebSockets: a page of any origin could open one with the user's
    // network position, so the upgrade itself checks Origin, then the socket cap.
    verifyClient: (info, done) => {
      const { req } = info;
      const hostRefusal = access?.hosts?.refusal(req.headers.host);
      if (hostRefusal !== undefined) {
        access?.onRefused?.(hostRefusal);
        return done(false, 403, 'Host not allowed: add it to allowedHosts');
      }
      if (access !== undefined && !access.origins.allowsUpgrade(req.headers.origin, req.headers.host)) {
        access.onRefused?.(`origin ${JSON.stringify(req.headers.origin)} not allowed`);
        return done(false, 403, 'Origin not allowed: add it to cors.origins');
      }
      capped.verifyClient(info, done);
    },
  });
  // The principal of each socket, found once in connection_init and used by all its operations.
  const principals = new WeakMap<object, Principal>();
  const disposable = useServer(
    {
      onConnect: async (ctx) => {
        const authenticator = access?.authenticator;
        if (authenticator === undefined) return true;
        const given = ctx.connectionParams?.['authorization'];
        const outcome = await authenticator.authenticate(typeof given === 'string' ? given : undefined);
        if (!outcome.ok) {
          access?.onRefused?.(outcome.detail);
          // Closed here rather than by returning false, so the reason says what went wrong.
          ctx.extra.socket.close(CLOSE_FORBIDDEN, `Forbidden: ${outcome.short}`);
          return false;
        }
        principals.set(ctx, outcome.principal);
        return true;
      },
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
          principal: principals.get(ctx) ?? OPEN_PRINCIPAL,
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
