/**
 * A graphql-transport-ws client at the message level, over a real `ws` socket: lets a test do
 * what a well-behaved client library would not (never read, skip pongs, flood operations).
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';

export interface RawMessage {
  id?: string;
  type: string;
  payload?: unknown;
}

export interface RawWs {
  socket: WebSocket;
  messages: RawMessage[];
  /** Resolves with the first message (already received or future) matching `match`. */
  next(match: (m: RawMessage) => boolean): Promise<RawMessage>;
  send(message: RawMessage): void;
  closed: Promise<{ code: number }>;
}

/** Opens a socket and, unless `init` is false, waits for the connection_ack. */
export async function openRawWs(
  url: string,
  options: { init?: boolean; autoPong?: boolean } = {},
): Promise<RawWs> {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong: options.autoPong ?? true });
  const messages: RawMessage[] = [];
  const waiters: Array<{ match: (m: RawMessage) => boolean; resolve: (m: RawMessage) => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as RawMessage;
    messages.push(message);
    for (const w of waiters.splice(0)) {
      if (w.match(message)) w.resolve(message);
      else waiters.push(w);
    }
  });
  const closed = new Promise<{ code: number }>((resolve) =>
    socket.once('close', (code) => resolve({ code })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const raw: RawWs = {
    socket,
    messages,
    closed,
    next: (match) =>
      new Promise((resolve) => {
        const found = messages.find(match);
        if (found !== undefined) resolve(found);
        else waiters.push({ match, resolve });
      }),
    send: (message) => socket.send(JSON.stringify(message)),
  };
  if (options.init !== false) {
    raw.send({ type: 'connection_init' });
    await raw.next((m) => m.type === 'connection_ack');
  }
  return raw;
}

/** Stops reading the socket: the server's unsent bytes pile up as for a client that hangs. */
export function stopReading(raw: RawWs): Socket {
  // `_socket` is ws's underlying net.Socket; ws exposes no public pause of reads.
  const net = (raw.socket as unknown as { _socket: Socket })._socket;
  net.pause();
  return net;
}

/** The HTTP status a refused WebSocket upgrade answered with. */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      socket.close();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => undefined);
  });
}
