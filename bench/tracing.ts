/**
 * What tracing costs per request (`npm run bench:tracing`): the same warm query, sequentially,
 * with tracing off (the API's no-ops only) and on (SDK + in-memory exporter, so the figure is
 * the span work, not the network). Each mode runs in its own child process: the OpenTelemetry
 * globals cannot be unregistered cleanly within one. Env: BENCH_REQUESTS (default 2000).
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { DEFAULT_BATCH, DEFAULT_STORE } from '../src/config/types.js';
import { buildApp } from '../src/server/app.js';
import { startTracing } from '../src/server/tracing.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 2000);
const SOURCE = `export async function fetch(ids, columns) {
  return ids.map((id) => ({ id, title: 'Movie ' + id, year: 1900 + Number(id), director_id: String(1 + (Number(id) % 7)) }));
}`;
const QUERY = JSON.stringify({
  query: `{ movies(ids: ${JSON.stringify(Array.from({ length: 50 }, (_, i) => String(i + 1)))}) { title year director { title } } }`,
});

async function measure(mode: 'off' | 'on'): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-bench-tracing-'));
  await writeFile(join(dir, 'source.mjs'), SOURCE);
  const exporter = new InMemorySpanExporter();
  const tracing = mode === 'on' ? await startTracing({}, { exporter }) : undefined;
  const table = {
    source: { kind: 'module' as const, path: 'source.mjs' },
    notFoundTtlMs: 60_000,
    batch: DEFAULT_BATCH,
  };
  const app = buildApp({
    config: {
      cacheDir: join(dir, 'cache'),
      baseDir: dir,
      store: DEFAULT_STORE,
      tables: {
        movies: {
          ...table,
          typeName: 'Movie',
          columns: { title: 'String', year: 'Int', director_id: 'ID' },
          relations: { director: { table: 'movies', column: 'director_id' } },
        },
      },
    },
    logger: (await import('pino')).pino({ level: 'warn' }),
  });
  const { url } = await app.start(0);
  const post = () =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: QUERY }).then((r) =>
      r.text(),
    );
  for (let i = 0; i < 300; i++) await post();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    await post();
    if (i % 200 === 0) exporter.reset();
  }
  const msPerRequest = (performance.now() - started) / REQUESTS;
  await app.stop();
  await tracing?.shutdown();
  await rm(dir, { recursive: true, force: true });
  return msPerRequest;
}

const mode = process.argv[2];
if (mode === 'off' || mode === 'on') {
  process.send?.(await measure(mode));
  process.exit(0);
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (m: string) =>
    new Promise<number>((resolve, reject) => {
      const child = fork(self, [m], { execArgv: process.execArgv });
      child.once('message', (v) => resolve(Number(v)));
      child.once('exit', (code) => code !== 0 && reject(new Error(`${m} exited with ${code}`)));
    });
  for (const m of ['off', 'on', 'off', 'on']) {
    console.log(
      `tracing ${m.padEnd(3)}  ${(await run(m)).toFixed(3)} ms/request (${REQUESTS} sequential, 50 ids + relation, warm)`,
    );
  }
}
