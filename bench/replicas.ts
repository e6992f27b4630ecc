/**
 * Two `cachegate serve` replicas on one cache folder (`npm run bench:replicas`): both are asked
 * for the same IDS cold IDs at once (one in order, one reversed) through GraphQL; a module
 * source sleeping 50 ms per batch of 100 appends every ID it is asked for to a file. Run once
 * with REDIS_URL (fetch locks) and once without, each on a fresh folder; prints how many IDs
 * reached the upstream and how long the slower answer took.
 * Env: REDIS_URL (redis://127.0.0.1:6379), REPLICAS_IDS (2000).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const IDS = Number(process.env['REPLICAS_IDS'] ?? 2000);
const root = fileURLToPath(new URL('../', import.meta.url));
const TSX = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

const SOURCE = `import { appendFileSync } from 'node:fs';
export async function fetch(ids) {
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(new URL('./calls.log', import.meta.url), ids.join('\\n') + '\\n');
  return ids.map((id) => ({ id, title: 'Movie ' + id }));
}
`;

function serve(dir: string, redisUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', TSX, join(root, 'src', 'cli', 'main.ts'), 'serve', '--port', '0'],
    {
      cwd: dir,
      env: { ...process.env, REDIS_URL: redisUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /GraphiQL: (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

async function ask(url: string, ids: string[]): Promise<boolean> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'query($ids: [ID!]!) { movies(ids: $ids) { id title } }',
      variables: { ids },
    }),
  });
  const body = (await res.json()) as {
    data?: { movies: Array<{ id: string; title: string }> };
    errors?: unknown[];
  };
  return (
    body.errors === undefined &&
    body.data!.movies.every((m, i) => m.id === ids[i] && m.title === `Movie ${ids[i]}`)
  );
}

async function run(label: string, redisUrl: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cachegate-replicas-'));
  const replicas: ChildProcess[] = [];
  try {
    await writeFile(join(dir, 'source.mjs'), SOURCE);
    await writeFile(
      join(dir, 'cachegate.config.json'),
      JSON.stringify({
        cacheDir: '.cache',
        tables: {
          movies: {
            typeName: 'Movie',
            source: { kind: 'module', path: './source.mjs' },
            columns: { title: 'String' },
            batch: { maxSize: 100 },
          },
        },
        limits: { upstreamCost: IDS },
      }),
    );
    const [a, b] = await Promise.all([serve(dir, redisUrl), serve(dir, redisUrl)]);
    replicas.push(a.child, b.child);
    const ids = Array.from({ length: IDS }, (_, i) => String(i + 1));
    const t = performance.now();
    const [okA, okB] = await Promise.all([ask(a.url, ids), ask(b.url, [...ids].reverse())]);
    const ms = Math.round(performance.now() - t);
    const calls = (await readFile(join(dir, 'calls.log'), 'utf8')).split('\n').filter(Boolean);
    const twice = calls.length - new Set(calls).size;
    return `| ${label} | ${okA && okB ? 'yes' : 'NO'} | ${calls.length} | ${twice} | ${ms} |`;
  } finally {
    for (const c of replicas) c.kill('SIGTERM');
    await Promise.all(
      replicas.map((c) => new Promise((r) => (c.exitCode === null ? c.on('exit', r) : r(null)))),
    );
    await rm(dir, { recursive: true, force: true });
  }
}

const start = loadavg();
const rows = [await run('with REDIS_URL (fetch locks)', REDIS_URL), await run('without REDIS_URL', '')];
console.log(
  `bench:replicas ${new Date().toISOString()} Node ${process.version}, ${IDS} IDs, load average ${start.map((l) => l.toFixed(1)).join(' ')} -> ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
console.log(
  '| two replicas, same IDs at once | both answer correctly | IDs sent upstream | sent twice | ms (both answered) |',
);
console.log('|---|---|---:|---:|---:|');
for (const row of rows) console.log(row);
