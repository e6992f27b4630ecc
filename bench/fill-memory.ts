/**
 * Where a cold fill's memory goes: one getData of N new IDs × 7 columns (one JSON) through a
 * fetcher that answers at once, each store setting in its own child process so its peak is its
 * own; prints peak RSS, peak JS heap and V8's external memory, sampled every 100 ms.
 *
 *   npm run bench:fill-memory            (N = FILL_IDS, default 1,000,000)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCache } from '../src/engine/cache.js';

const N = Number(process.env['FILL_IDS'] ?? 1_000_000);
const CONFIGS: Record<string, Record<string, number>> = {
  defaults: {},
  'writeBufferBytes 16 MiB, compactDeltaRows 100,000': {
    writeBufferBytes: 16 * 2 ** 20,
    compactDeltaRows: 100_000,
  },
  'maxPartRows 250,000': { maxPartRows: 250_000 },
};
const COLUMNS = ['title', 'year', 'rating', 'details', 'director_id', 'genre', 'votes'];

async function child(store: Record<string, number>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cachegate-fill-memory-'));
  const cache = createCache({ cacheDir: dir, store });
  const fetcher = async (ids: string[]) =>
    ids.map((id) => {
      const n = Number(id);
      return {
        id,
        title: `Movie ${id}`,
        year: 1900 + (n % 120),
        rating: (n % 100) / 10,
        details: { cast: [{ name: `A${id}` }, { name: `B${id}` }], meta: { score: n % 7 } },
        director_id: String(n % 1000),
        genre: n % 2 === 0 ? 'drama' : 'comedy',
        votes: n * 3,
      };
    });
  const peak = { rss: 0, heap: 0, external: 0 };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
  }, 100);
  const ids = Array.from({ length: N }, (_, i) => String(i + 1));
  const started = performance.now();
  const df = await cache.getData('movies', ids, COLUMNS, { fetcher, durable: true });
  const ms = performance.now() - started;
  await cache.close();
  clearInterval(timer);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ rows: df.height, ms, ...peak }));
}

function main(): void {
  const mb = (n: number) => `${Math.round(n / 2 ** 20).toLocaleString('en')} MB`;
  const self = fileURLToPath(import.meta.url);
  const lines = [
    `| store settings | ${N.toLocaleString('en')} ids | peak RSS | peak JS heap | peak external |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const [name, store] of Object.entries(CONFIGS)) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self], {
      env: { ...process.env, FILL_MEMORY_CHILD: JSON.stringify(store) },
      maxBuffer: 1 << 20,
    }).toString();
    const r = JSON.parse(out) as { ms: number; rss: number; heap: number; external: number };
    lines.push(
      `| ${name} | ${(r.ms / 1000).toFixed(1)} s | ${mb(r.rss)} | ${mb(r.heap)} | ${mb(r.external)} |`,
    );
    process.stderr.write(`${name} done\n`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const childStore = process.env['FILL_MEMORY_CHILD'];
if (childStore !== undefined) await child(JSON.parse(childStore) as Record<string, number>);
else main();
