/**
 * graphql-ws abuse limits (DESIGN §4): open sockets, operations per socket, message size, the
 * bytes queued for a client that does not read, and a heartbeat (graphql-ws's keepAlive: a
 * WebSocket ping every interval; a socket whose pong has not come by the next one is closed).
 */
import type { IncomingMessage } from 'node:http';
import type { GraphQLError } from 'graphql/index.js';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Limits } from '../config/types.js';
import { limitExceeded } from './limit-error.js';

export type WsLimits = Pick<
  Limits,
  'subscriptionsPerSocket' | 'sockets' | 'wsPayloadBytes' | 'wsBufferBytes' | 'wsPingIntervalMs'
>;

/** Close codes cachegate uses besides graphql-ws's own (4400–4500) and ws's 1009 (too big). */
export enum WsCloseCode {
  /** The server holds `sockets` open WebSockets already (sent as HTTP 503 on the upgrade). */
  TooManySockets = 1013,
  /** The client let more than `wsBufferBytes` of messages pile up unread. */
  SlowConsumer = 4413,
}

/** `WebSocketServer` options: the message cap, and the socket cap checked on the upgrade. */
export function wsServerLimits(limits: WsLimits, wss: () => WebSocketServer | undefined) {
  return {
    maxPayload: limits.wsPayloadBytes,
    verifyClient: (
      _info: { req: IncomingMessage },
      done: (ok: boolean, code?: number, message?: string) => void,
    ) => {
      const open = wss()?.clients.size ?? 0;
      if (open >= limits.sockets)
        done(false, 503, `LIMIT_EXCEEDED: limit "sockets" is ${limits.sockets}; retry later.`);
      else done(true);
    },
  };
}

/** The error of an operation over the per-socket cap; undefined when it may run. */
export function operationCapError(
  subscriptions: Readonly<Record<string, unknown>>,
  limits: WsLimits,
): GraphQLError | undefined {
  // graphql-ws registers the new operation before onSubscribe, so it is counted here.
  const running = Object.keys(subscriptions).length;
  if (running <= limits.subscriptionsPerSocket) return undefined;
  return limitExceeded(
    'subscriptionsPerSocket',
    limits.subscriptionsPerSocket,
    `This socket runs ${running - 1} operations already; complete one, or open another socket.`,
  );
}

/**
 * Closes a socket whose unsent messages pass `wsBufferBytes`: a client that never reads would
 * otherwise grow the server's memory with every event. Terminated, not closed: a close frame
 * would queue behind the very bytes the client does not read. Returns true when it did.
 */
export function closeIfSlow(socket: WebSocket, limits: WsLimits): boolean {
  // A socket closed already (operations still finishing for it) is not closed again.
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount <= limits.wsBufferBytes) return false;
  socket.close(WsCloseCode.SlowConsumer, 'LIMIT_EXCEEDED: wsBufferBytes');
  socket.terminate();
  return true;
}

/**
 * graphql-ws logs every socket error with console.error ("Please check your implementation"),
 * bypassing our logger — one line per abusive client (an oversized message is a socket error in
 * `ws`). Its listener is replaced by one that logs through pino and closes the socket.
 */
export function logSocketErrors(wss: WebSocketServer, logger: Logger | undefined): void {
  wss.on('connection', (socket) => {
    dropSendErrorsOnceClosed(socket);
    socket.removeAllListeners('error');
    socket.on('error', (err) => {
      logger?.warn({ err: err.message }, 'WebSocket closed on a socket error');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal server error');
    });
  });
}

/**
 * Messages still queued when a socket is closed (a slow consumer terminated, a client gone)
 * fail their send callbacks; graphql-ws would take each for a bug of ours and print it. Nothing
 * can be delivered on a closed socket, so those failures are dropped; an open socket's are not.
 */
function dropSendErrorsOnceClosed(socket: WebSocket): void {
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  socket.send = ((...args: unknown[]) => {
    const last = args.at(-1);
    if (typeof last === 'function') {
      const callback = last as (err?: Error) => void;
      args[args.length - 1] = (err?: Error) => callback(socket.readyState === socket.OPEN ? err : undefined);
    }
    send(...args);
  }) as typeof socket.send;
}
