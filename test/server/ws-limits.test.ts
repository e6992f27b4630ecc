/**
 * graphql-ws abuse (issue #7 item 5) against a real server with real sockets: operations per
 * socket, sockets, message size, a client that never reads, a client that never pongs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsCloseCode } from '../../src/server/ws-limits.js';
import { openRawWs, type RawWs, stopReading, upgradeStatus } from '../helpers/raw-ws.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';

let server: TestServer;
const LIMITS = {
  subscriptionsPerSocket: 2,
  sockets: 3,
  wsPayloadBytes: 16 * 1024,
  wsBufferBytes: 64 * 1024,
  wsPingIntervalMs: 100,
  idsPerList: 5,
};

beforeAll(async () => {
  server = await startTestServer({ config: await testConfig(await serverTempDir()), limits: LIMITS });
});
afterAll(() => server.stop());

const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
const waitingSubscription = (id: string) => ({
  id,
  type: 'subscribe',
  payload: { query: 'subscription { fetchProgress(jobId: "no-such-job") { status } }' },
});

async function closeAll(sockets: RawWs[]): Promise<void> {
  for (const s of sockets) s.socket.terminate();
  await Promise.all(sockets.map((s) => s.closed));
}

describe('WebSocket limits', () => {
  it('refuses an operation over subscriptionsPerSocket with LIMIT_EXCEEDED; the socket and the others go on', async () => {
    const ws = await openRawWs(server.wsUrl);
    ws.send(waitingSubscription('1'));
    ws.send(waitingSubscription('2'));
    ws.send(waitingSubscription('3'));
    const refused = await ws.next((m) => m.id === '3');
    expect(refused.type).toBe('error');
    expect((refused.payload as Array<{ extensions: unknown }>)[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'subscriptionsPerSocket',
      value: 2,
    });
    // Completing one frees its place: a query then runs on the same socket.
    ws.send({ id: '1', type: 'complete' });
    ws.send({ id: '4', type: 'subscribe', payload: { query: '{ movies(ids: ["1"]) { id } }' } });
    const served = await ws.next((m) => m.id === '4');
    expect(served).toMatchObject({ type: 'next', payload: { data: { movies: [{ id: '1' }] } } });
    expect(ws.socket.readyState).toBe(ws.socket.OPEN);
    await closeAll([ws]);
  });

  it('refuses the upgrade past `sockets` open sockets with HTTP 503, and accepts again once one closes', async () => {
    const open = await Promise.all([1, 2, 3].map(() => openRawWs(server.wsUrl)));
    expect(await upgradeStatus(server.wsUrl)).toBe(503);
    await closeAll(open.splice(0, 1));
    open.push(await openRawWs(server.wsUrl));
    await closeAll(open);
  });

  it('closes a socket sending a message over wsPayloadBytes (1009)', async () => {
    const ws = await openRawWs(server.wsUrl);
    ws.send({
      id: '1',
      type: 'subscribe',
      payload: { query: `{ __typename }`, variables: { pad: 'x'.repeat(20_000) } },
    });
    expect(await ws.closed).toEqual({ code: 1009 });
    // Logged through the server's logger, not graphql-ws's console.error.
    await expect
      .poll(() => server.logs.some((l) => l.msg === 'WebSocket closed on a socket error'))
      .toBe(true);
  });

  it('applies the HTTP limits to operations over the socket too (idsPerList)', async () => {
    const ws = await openRawWs(server.wsUrl);
    const query = 'query ($ids: [ID!]!) { movies(ids: $ids) { id } }';
    ws.send({ id: '1', type: 'subscribe', payload: { query, variables: { ids: ids(6) } } });
    const answer = await ws.next((m) => m.id === '1' && m.type !== 'complete');
    const errors = answer.type === 'error' ? answer.payload : (answer.payload as { errors: unknown }).errors;
    expect((errors as Array<{ extensions: unknown }>)[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'idsPerList',
      value: 5,
    });
    await closeAll([ws]);
  });

  it('closes a socket that stops reading once its unsent messages pass wsBufferBytes', async () => {
    // Its own server: the flood of operations must not meet the per-socket cap first.
    const flooded = await startTestServer({
      config: await testConfig(await serverTempDir()),
      limits: { wsBufferBytes: 64 * 1024, subscriptionsPerSocket: 1000 },
    });
    const ws = await openRawWs(flooded.wsUrl);
    const query =
      'query ($ids: [ID!]!) { rows(table: "movies", ids: $ids, columns: ["title", "details"]) { values } }';
    // Cache the rows first, so every later answer is large and cheap.
    ws.send({ id: 'warm', type: 'subscribe', payload: { query, variables: { ids: ids(1000) } } });
    await ws.next((m) => m.id === 'warm' && m.type === 'complete');
    stopReading(ws);
    const sent = 400;
    for (let i = 0; i < sent; i++)
      ws.send({ id: `q${i}`, type: 'subscribe', payload: { query, variables: { ids: ids(1000) } } });
    // Each answer is ~170 kB: the kernel's socket buffers fill, then ws's own queue passes 64 KiB.
    await expect
      .poll(() => flooded.logs.some((l) => l.msg === 'closed a WebSocket that does not read'), {
        timeout: 30_000,
      })
      .toBe(true);
    ws.socket.resume();
    (ws.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    const { code } = await ws.closed;
    expect([WsCloseCode.SlowConsumer, 1006]).toContain(code);
    const answered = ws.messages.filter((m) => m.type === 'next' && m.id?.startsWith('q')).length;
    console.log(
      `slow consumer: ${answered} of ${sent} answers reached the client before the socket was closed`,
    );
    expect(answered).toBeLessThan(sent);
    await flooded.stop();
  });

  it('closes a socket that does not answer pings, and keeps one that does', async () => {
    const deaf = await openRawWs(server.wsUrl, { autoPong: false });
    const alive = await openRawWs(server.wsUrl);
    let pings = 0;
    alive.socket.on('ping', () => {
      pings += 1;
    });
    expect((await deaf.closed).code).toBe(1006);
    await expect.poll(() => pings, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(alive.socket.readyState).toBe(alive.socket.OPEN);
    await closeAll([alive]);
  });
});
