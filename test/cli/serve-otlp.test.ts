/** `serve` with OTEL_EXPORTER_OTLP_ENDPOINT: spans reach a real OTLP/HTTP collector on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type TestServer } from '../helpers/http-server.js';
import { startCli, tempCwd } from './cli-process.js';
import { writeModuleConfig } from './module-source.js';

describe('cachegate serve exporting traces', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let collector: TestServer;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempCwd());
    await writeModuleConfig(dir);
    collector = await startHttpServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  afterAll(async () => {
    await collector.close();
    await cleanup();
  });

  it('sends the request, lookup and upstream batch spans over OTLP, flushed on stop', async () => {
    const cli = startCli(['serve', '--port', '0'], dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'cachegate-test',
    });
    try {
      const [, url] = await cli.waitFor(/GraphiQL: (http:\/\/127\.0\.0\.1:\d+\/graphql)/);
      expect(cli.stdout()).toContain('Tracing: spans exported over OTLP');
      const response = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query Pair { movies(ids: ["1", "2"]) { title } }' }),
      });
      expect(response.status).toBe(200);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect((await cli.exited).code).toBe(0);
    const traces = collector.requests.filter((r) => r.url === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    const body = traces.map((r) => r.body).join('\n');
    for (const name of [
      'graphql.query Pair',
      'cachegate.loader.batch',
      'cachegate.cache.lookup',
      'cachegate.upstream.batch',
    ])
      expect(body).toContain(name);
    expect(body).toContain('cachegate-test');
  });
});
