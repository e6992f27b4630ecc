/**
 * Tracing with an in-memory exporter: each GraphQL operation is a span, with the loader batch,
 * the cache lookup and the upstream batch below it; a batch that served another request too
 * (single-flight) links to that request's trace.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/server/tracing.js';
import {
  serverTempDir,
  setSourceDelay,
  startTestServer,
  type TestServer,
  testConfig,
} from '../helpers/server.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let server: TestServer;
beforeAll(async () => {
  tracing = (await startTracing({}, { exporter }))!;
  server = await startTestServer({ config: await testConfig(await serverTempDir()) });
});
afterAll(async () => {
  setSourceDelay(0);
  await server.stop();
  await tracing.shutdown();
});

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const named = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('tracing', () => {
  it('is off without an OTLP endpoint or exporter (the SDK is not loaded)', async () => {
    expect(await startTracing({})).toBeUndefined();
  });

  it('nests loader batch, cache lookup and upstream batch under the request span', async () => {
    exporter.reset();
    await server.requestText('query Two { movies(ids: ["1", "2"]) { title } }');
    const [request] = named('graphql.query Two');
    expect(request).toBeDefined();
    const [loader] = named('cachegate.loader.batch');
    const lookups = named('cachegate.cache.lookup');
    const [batch] = named('cachegate.upstream.batch');
    expect(parentOf(loader!)).toBe(request!.spanContext().spanId);
    // The lookup that found what is missing (the re-read after the fetch is not a span).
    expect(lookups).toHaveLength(1);
    for (const l of lookups) expect(parentOf(l)).toBe(loader!.spanContext().spanId);
    expect(lookups[0]!.attributes).toMatchObject({
      'cachegate.table': 'movies',
      'cachegate.ids': 2,
      'cachegate.missing': 2,
    });
    expect(batch!.spanContext().traceId).toBe(request!.spanContext().traceId);
    expect(batch!.attributes).toMatchObject({
      'cachegate.table': 'movies',
      'cachegate.ids': 2,
      'cachegate.attempts': 1,
    });
    expect(batch!.links).toEqual([]);
  });

  it('links an upstream batch to every other request that waited for it', async () => {
    exporter.reset();
    // Slow upstream: the second request arrives while the first one's batch is still running.
    setSourceDelay(300);
    await Promise.all([
      server.requestText('query A { movies(ids: ["11", "12"]) { title } }'),
      server.requestText('query B { movies(ids: ["12", "13"]) { title } }'),
    ]);
    setSourceDelay(0);
    const requests = [...named('graphql.query A'), ...named('graphql.query B')];
    expect(requests).toHaveLength(2);
    const traces = requests.map((r) => r.spanContext().traceId);
    expect(new Set(traces).size).toBe(2);
    const batches = named('cachegate.upstream.batch');
    // 12 is fetched once: by whichever request claimed it first, the other waits for that batch.
    expect(batches).toHaveLength(2);
    const shared = batches.filter((b) => b.links.length > 0);
    expect(shared).toHaveLength(1);
    const [b] = shared;
    expect(b!.attributes['cachegate.waiting_requests']).toBe(1);
    expect(traces).toContain(b!.spanContext().traceId);
    expect(traces).toContain(b!.links[0]!.context.traceId);
    expect(b!.links[0]!.context.traceId).not.toBe(b!.spanContext().traceId);
  });
});
