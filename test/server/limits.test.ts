/**
 * Limits (DESIGN §4), on by default: each refusal is LIMIT_EXCEEDED naming the limit and its
 * value, with HTTP 400 when the request is refused whole. One server with small limits (so the
 * test documents stay small) and one with the defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config/types.js';
import {
  serverTempDir,
  setSourceDelay,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

let small: TestServer;
let defaults: TestServer;

const SMALL = {
  requestBodyBytes: 20_000,
  idsPerList: 100,
  depth: 2,
  aliases: 5,
  tokens: 600,
  directives: 3,
  concurrentJobs: 1,
  warmCost: 400,
};

beforeAll(async () => {
  small = await startTestServer({ config: await testConfig(await serverTempDir()), limits: SMALL });
  defaults = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(async () => {
  await small.stop();
  await defaults.stop();
});

interface Answer {
  status: number;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function post(server: TestServer, body: string | ReadableStream<Uint8Array>): Promise<Answer> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body,
    // A stream has no content-length: the limit is counted while reading.
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const json = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
const fields = (n: number, make: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => make(i)).join(' ');

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 4096));
      at += 4096;
    },
  });
}

/** 2^(n-1) copies of `id` once fragments are expanded: the document that stalled the old rule. */
function fanOut(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) =>
    i < n - 1 ? `fragment F${i} on Movie { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Movie { id }`,
  );
  return `{ movies(ids: ["1"]) { ...F0 } } ${fragments.join(' ')}`;
}

const refusals: Array<{
  name: string;
  server: () => TestServer;
  body: () => string | ReadableStream<Uint8Array>;
  limit: string;
  value: number;
}> = [
  {
    name: 'request body over requestBodyBytes (content-length)',
    server: () => small,
    body: () => json('{ movies(ids: $ids) { id } }', { pad: 'x'.repeat(30_000) }),
    limit: 'requestBodyBytes',
    value: SMALL.requestBodyBytes,
  },
  {
    name: 'request body over requestBodyBytes (chunked, no content-length)',
    server: () => small,
    body: () => chunked(json('{ __typename }', { pad: 'x'.repeat(30_000) })),
    limit: 'requestBodyBytes',
    value: SMALL.requestBodyBytes,
  },
  {
    name: 'ids in a variable over idsPerList',
    server: () => small,
    body: () => json('query ($ids: [ID!]!) { movies(ids: $ids) { id } }', { ids: ids(101) }),
    limit: 'idsPerList',
    value: SMALL.idsPerList,
  },
  {
    name: 'inline ids over idsPerList',
    server: () => small,
    body: () =>
      json(`{ rows(table: "movies", ids: ${JSON.stringify(ids(101))}, columns: ["title"]) { id } }`),
    limit: 'idsPerList',
    value: SMALL.idsPerList,
  },
  {
    name: 'warm ids over idsPerList',
    server: () => small,
    body: () =>
      json('mutation ($ids: [ID!]!) { warm(table: "movies", ids: $ids) { id } }', { ids: ids(101) }),
    limit: 'idsPerList',
    value: SMALL.idsPerList,
  },
  {
    name: 'depth',
    server: () => small,
    body: () => json('{ movies(ids: ["1"]) { director { name } } }'),
    limit: 'depth',
    value: SMALL.depth,
  },
  {
    name: 'aliases',
    server: () => small,
    body: () => json(`{ ${fields(6, (i) => `a${i}: __typename`)} }`),
    limit: 'aliases',
    value: SMALL.aliases,
  },
  {
    name: 'directives',
    server: () => small,
    body: () =>
      json(
        '{ __typename @include(if: true) movies(ids: ["1"]) @skip(if: false) { id @include(if: true) title @include(if: true) } }',
      ),
    limit: 'directives',
    value: SMALL.directives,
  },
  {
    name: 'tokens',
    server: () => small,
    body: () => json(`{ ${fields(700, () => '__typename')} }`),
    limit: 'tokens',
    value: SMALL.tokens,
  },
  {
    name: 'default idsPerList',
    server: () => defaults,
    body: () =>
      json('query ($ids: [ID!]!) { movies(ids: $ids) { id } }', { ids: ids(DEFAULT_LIMITS.idsPerList + 1) }),
    limit: 'idsPerList',
    value: DEFAULT_LIMITS.idsPerList,
  },
  {
    name: 'default requestBodyBytes',
    server: () => defaults,
    body: () => json('{ __typename }', { pad: 'x'.repeat(DEFAULT_LIMITS.requestBodyBytes) }),
    limit: 'requestBodyBytes',
    value: DEFAULT_LIMITS.requestBodyBytes,
  },
  {
    name: 'default aliases',
    server: () => defaults,
    body: () => json(`{ ${fields(DEFAULT_LIMITS.aliases + 1, (i) => `a${i}: __typename`)} }`),
    limit: 'aliases',
    value: DEFAULT_LIMITS.aliases,
  },
];

describe('limits', () => {
  it.each(refusals)('refuses $name with HTTP 400 and LIMIT_EXCEEDED', async (c) => {
    const answer = await post(c.server(), c.body());
    expect(answer.status).toBe(400);
    expect(answer.body.data ?? null).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: c.limit,
      value: c.value,
    });
    expect(answer.body.errors?.[0]?.message).toContain(`"${c.limit}" is ${c.value}`);
  });

  it('serves what stays within every limit, and introspection', async () => {
    const within = await post(
      small,
      json('query ($ids: [ID!]!) { movies(ids: $ids) { id } }', { ids: ids(100) }),
    );
    expect(within.status).toBe(200);
    expect(within.body.errors).toBeUndefined();
    const { getIntrospectionQuery } = await import('graphql');
    const introspection = await post(defaults, json(getIntrospectionQuery()));
    expect(introspection.body.errors).toBeUndefined();
  });

  it('answers the 26-fragment fan-out document at once (it stalled the server 87 s)', async () => {
    const started = performance.now();
    const answer = await post(defaults, json(fanOut(26)));
    // The fragments do not nest fields, so the document is within every limit and served.
    console.log(`26-fragment fan-out answered in ${(performance.now() - started).toFixed(0)} ms`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { movies: [{ id: '1' }] } });
  });

  it('limits warm by its cost and by the jobs running at once, as field errors', async () => {
    const warm =
      'mutation ($ids: [ID!]!, $columns: [String!]) { warm(table: "movies", ids: $ids, columns: $columns) { id status } }';
    const costly = await post(
      small,
      json(warm, { ids: ids(100), columns: ['title', 'year', 'rating', 'details', 'director_id'] }),
    );
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'warmCost',
      value: 400,
      actual: 500,
    });
    setSourceDelay(200);
    try {
      const first = await post(small, json(warm, { ids: ids(10) }));
      expect(first.body.errors).toBeUndefined();
      const second = await post(small, json(warm, { ids: ids(20).slice(10) }));
      expect(second.body.errors?.[0]?.extensions).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        limit: 'concurrentJobs',
        value: 1,
      });
    } finally {
      setSourceDelay(0);
    }
  });
});
