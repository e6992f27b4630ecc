/**
 * Engine benchmark (`npm run bench:engine`): a 1,000,000-row `movies` table populated through
 * `createCache(...).getData(..., { fetcher })`, then warm lookups of 1 / 1,000 / 100,000 IDs
 * against raw polars on the same part files, a lookup with a JSON dot path, upserts of 10,000
 * rows (which parts were rewritten), and peak RSS. Runs once at the default store limits and
 * once with `maxPartRows: 100000`, each in its own child process so that each peak RSS is its
 * own. Env: BENCH_ROWS (default 1,000,000), BENCH_RUNS (default 5).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pl from 'nodejs-polars';
import { hashId } from '../src/cache/hash.js';
import type { Manifest } from '../src/cache/manifest.js';
import { buildResultFrame, type OutputColumn } from '../src/cache/result-frame.js';
import { CacheStore } from '../src/cache/store.js';
import { DEFAULT_NOT_FOUND_TTL_MS, DEFAULT_STORE, type StoreLimits } from '../src/config/types.js';
import { createCache } from '../src/engine.js';
import { distinct, normalizeIds } from '../src/engine-input.js';
import type { Cache } from '../src/engine-types.js';
import { extractPath } from '../src/json/json-path.js';

// The version actually installed, for the report header.
const polarsVersion = (
  JSON.parse(
    readFileSync(new URL('../node_modules/nodejs-polars/package.json', import.meta.url), 'utf8'),
  ) as { version: string }
).version;

import type { Fetcher, SourceRow } from '../src/sources/types.js';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const UPSERT = 10_000;
const TABLE = 'movies';
const COLUMNS = {
  title: 'String',
  year: 'Int',
  rating: 'Float',
  country: 'String',
  votes: 'Int',
  active: 'Boolean',
  details: 'JSON',
} as const;
const ALL_COLUMNS = Object.keys(COLUMNS);
const THREE = ['title', 'year', 'rating'];
const COUNTRIES = ['US', 'FR', 'DE', 'JP', 'IN', 'BR', 'GB', 'IT', 'ES', 'KR', 'MX', 'SE'];
const NAMES = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eve', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jun'];

interface Variant {
  key: string;
  label: string;
  store: Partial<StoreLimits>;
}
const VARIANTS: Variant[] = [
  {
    key: 'default',
    label: `default store limits (maxPartRows ${DEFAULT_STORE.maxPartRows.toLocaleString('en-US')}, maxPartBytes 128 MiB)`,
    store: {},
  },
  { key: 'split', label: '`store: { maxPartRows: 100000 }`', store: { maxPartRows: 100_000 } },
];

/** One measured line of the output table. */
interface Line {
  label: string;
  cacheMs: number;
  rawIsInMs?: number;
  rawSemiMs?: number;
  note?: string;
}

interface VariantResult {
  key: string;
  label: string;
  rows: number;
  populateMs: number;
  populateBatches: number;
  partsAfterPopulate: number;
  lines: Line[];
  profile: string[];
  maxRssMb: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic data

function mix(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function movieRow(id: string, columns: readonly string[]): SourceRow {
  const n = Number(id);
  const h = mix(n);
  const full: Record<string, unknown> = {
    title: `Movie ${n} ${NAMES[h % NAMES.length]}`,
    year: 1900 + (h % 125),
    rating: (h % 100) / 10,
    country: COUNTRIES[n % COUNTRIES.length],
    votes: h % 1_000_000,
    active: n % 3 !== 0,
    details: {
      meta: { score: (h % 1000) / 10, tags: ['drama', n % 2 === 0 ? 'new' : 'classic'] },
      cast: [
        { name: NAMES[n % NAMES.length], age: 20 + (h % 50) },
        { name: NAMES[(n + 3) % NAMES.length], age: 30 + (h % 40) },
      ],
      runtime: 80 + (h % 90),
    },
  };
  const row: SourceRow = { id };
  for (const c of columns) row[c] = full[c];
  return row;
}

/** The upstream: every ID exists and gets the deterministic row. */
const fetcher: Fetcher = async (ids, columns) => ids.map((id) => movieRow(id, columns));

/** `count` distinct IDs in 1..ROWS, picked by a seeded generator. */
function sampleIds(count: number, seed: number): string[] {
  const out = new Set<string>();
  let s = seed >>> 0;
  while (out.size < Math.min(count, ROWS)) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.add(String((s % ROWS) + 1));
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Timing helpers

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** One warm-up, then the median of RUNS runs; `check` validates each result. */
async function median(fn: () => Promise<pl.DataFrame>, expectHeight: number): Promise<number> {
  const check = (df: pl.DataFrame): void => {
    if (df.height !== expectHeight) throw new Error(`expected ${expectHeight} rows, got ${df.height}`);
  };
  check(await fn());
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, value } = await time(fn);
    check(value);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const log = (msg: string): void => {
  process.stderr.write(`[bench:engine] ${msg}\n`);
};

// ---------------------------------------------------------------------------------------------
// One variant, in a child process

async function readManifest(tableDir: string): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(tableDir, 'manifest.json'), 'utf8')) as Manifest;
}

function partsChanged(before: Manifest, after: Manifest): string {
  const old = new Set(before.parts.map((p) => p.file));
  const kept = after.parts.filter((p) => old.has(p.file)).length;
  const rewritten = before.parts.length - kept;
  const added = after.parts.length - kept;
  return `${rewritten} of ${before.parts.length} parts rewritten (${added} new files, ${after.parts.length} parts after)`;
}

function rawScan(tableDir: string, m: Manifest): pl.LazyDataFrame {
  const scans = m.parts.map((p) => pl.scanParquet(path.join(tableDir, p.file)));
  return scans.length === 1 ? scans[0]! : pl.concat(scans);
}

async function runVariant(variant: Variant): Promise<VariantResult> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cachegate-bench-engine-'));
  const tableDir = path.join(cacheDir, TABLE);
  const cache: Cache = createCache({
    cacheDir,
    tables: { [TABLE]: { columns: { ...COLUMNS } } },
    store: variant.store,
  });
  try {
    // Population: one getData of every ID; the engine plans ~100 batches and writes each back.
    const all = Array.from({ length: ROWS }, (_, i) => String(i + 1));
    let batches = 0;
    const populate = await time(() =>
      cache.getData(TABLE, all, ALL_COLUMNS, {
        fetcher,
        onProgress: (e) => {
          batches = e.batchesTotal;
          if (e.batchesDone % 10 === 0 && e.batchesDone > 0)
            log(`${variant.key}: populate ${e.batchesDone}/${e.batchesTotal} batches, ${e.elapsedMs} ms`);
        },
      }),
    );
    if (populate.value.height !== ROWS) throw new Error(`populated ${populate.value.height} rows`);
    log(`${variant.key}: populated ${ROWS} rows in ${populate.ms.toFixed(0)} ms`);
    let m = await readManifest(tableDir);
    const partsAfterPopulate = m.parts.length;
    const lines: Line[] = [];

    // Warm lookups. No fetcher: a miss would throw, so these are pure cache reads.
    for (const n of [1, 1_000, 100_000]) {
      const ids = sampleIds(n, n);
      const idFrame = pl.DataFrame([pl.Series('id', ids, pl.String)]);
      const cacheMs = await median(() => cache.getData(TABLE, ids, THREE), ids.length);
      const rawIsInMs = await median(
        () =>
          rawScan(tableDir, m)
            .filter(pl.col('id').isIn(ids))
            .select('id', ...THREE)
            .collect(),
        ids.length,
      );
      const rawSemiMs = await median(
        () =>
          rawScan(tableDir, m)
            .join(idFrame.lazy(), { on: 'id', how: 'semi' })
            .select('id', ...THREE)
            .collect(),
        ids.length,
      );
      lines.push({
        label: `lookup ${n.toLocaleString('en-US')} IDs × 3 columns`,
        cacheMs,
        rawIsInMs,
        rawSemiMs,
      });
      log(
        `${variant.key}: lookup ${n}: ${cacheMs.toFixed(1)} ms (isIn ${rawIsInMs.toFixed(1)}, semi ${rawSemiMs.toFixed(1)})`,
      );
    }

    // 100,000 IDs × 3 columns + one dot path; raw polars does the path with jsonPathMatch.
    const ids100k = sampleIds(100_000, 100_000);
    {
      const idFrame = pl.DataFrame([pl.Series('id', ids100k, pl.String)]);
      const withPath = [...THREE, 'details.meta.score'];
      const score = pl.col('details').str.jsonPathMatch('$.meta.score').alias('details.meta.score');
      const cacheMs = await median(() => cache.getData(TABLE, ids100k, withPath), ids100k.length);
      const rawIsInMs = await median(
        () =>
          rawScan(tableDir, m)
            .filter(pl.col('id').isIn(ids100k))
            .select('id', ...THREE, score)
            .collect(),
        ids100k.length,
      );
      const rawSemiMs = await median(
        () =>
          rawScan(tableDir, m)
            .join(idFrame.lazy(), { on: 'id', how: 'semi' })
            .select('id', ...THREE, score)
            .collect(),
        ids100k.length,
      );
      lines.push({
        label: 'lookup 100,000 IDs × 3 columns + `details.meta.score`',
        cacheMs,
        rawIsInMs,
        rawSemiMs,
        note: 'raw: `str.jsonPathMatch` (Utf8 result)',
      });
      log(`${variant.key}: lookup 100k + path: ${cacheMs.toFixed(1)} ms`);
    }
    const rssAfterLookups = process.resourceUsage().maxRSS / 1024;

    // Where getData's time goes, on a separate store over the same files (same code path).
    const profile = await profileLookup(cacheDir, variant, ids100k, rssAfterLookups);

    // Upsert (a): 10,000 new IDs through getData — insert into the existing hash parts.
    const newIds = Array.from({ length: UPSERT }, (_, i) => String(ROWS + 1 + i));
    m = await readManifest(tableDir);
    let upsertBatches = 0;
    const ins = await time(() =>
      cache.getData(TABLE, newIds, ALL_COLUMNS, {
        fetcher,
        onProgress: (e) => {
          upsertBatches = e.batchesTotal;
        },
      }),
    );
    let after = await readManifest(tableDir);
    lines.push({
      label: `upsert ${UPSERT.toLocaleString('en-US')} new IDs via getData (${upsertBatches} batches)`,
      cacheMs: ins.ms,
      note: partsChanged(m, after),
    });
    log(`${variant.key}: upsert new: ${ins.ms.toFixed(0)} ms, ${partsChanged(m, after)}`);

    // Upsert (b): replace 10,000 existing rows in ONE batch write (store.write, the same call
    // the engine makes per batch), to separate the per-batch cost from the batch plan.
    {
      const store = new CacheStore(cacheDir, { ...DEFAULT_STORE, ...variant.store }).table(TABLE, () => ({
        notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
      }));
      const existing = sampleIds(UPSERT, 7);
      const rows = existing.map((id) => {
        const r = movieRow(id, ALL_COLUMNS);
        r['title'] = `Replaced ${id}`;
        return r;
      });
      m = await readManifest(tableDir);
      const w = await time(() =>
        store.write({ rows, columns: ALL_COLUMNS, notFound: [], fetchedAt: Date.now() }),
      );
      after = await readManifest(tableDir);
      lines.push({
        label: `replace ${UPSERT.toLocaleString('en-US')} existing IDs, one store.write batch`,
        cacheMs: w.ms,
        note: partsChanged(m, after),
      });
      const check = await cache.getData(TABLE, [existing[0]!], ['title']);
      if (check.getColumn('title').get(0) !== `Replaced ${existing[0]}`)
        throw new Error('replace not visible');
      log(`${variant.key}: replace one batch: ${w.ms.toFixed(0)} ms, ${partsChanged(m, after)}`);
    }

    // Upsert (c): 10,000 new IDs that all hash into one part (only telling with several parts).
    if ((await readManifest(tableDir)).parts.length > 1) {
      m = await readManifest(tableDir);
      const target = m.parts[0]!;
      const mask = target.depth >= 32 ? 0xffffffff : (1 << target.depth) - 1;
      const oneSlot: string[] = [];
      for (let n = ROWS + UPSERT + 1; oneSlot.length < UPSERT; n++) {
        const id = String(n);
        if ((hashId(id) & mask) >>> 0 === target.key) oneSlot.push(id);
      }
      let b = 0;
      const one = await time(() =>
        cache.getData(TABLE, oneSlot, ALL_COLUMNS, {
          fetcher,
          onProgress: (e) => {
            b = e.batchesTotal;
          },
        }),
      );
      after = await readManifest(tableDir);
      lines.push({
        label: `upsert ${UPSERT.toLocaleString('en-US')} new IDs of one part via getData (${b} batches)`,
        cacheMs: one.ms,
        note: partsChanged(m, after),
      });
      log(`${variant.key}: upsert one part: ${one.ms.toFixed(0)} ms, ${partsChanged(m, after)}`);
    }

    return {
      key: variant.key,
      label: variant.label,
      rows: ROWS,
      populateMs: populate.ms,
      populateBatches: batches,
      partsAfterPopulate,
      lines,
      profile,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await cache.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/**
 * Replays getData's steps for 100,000 IDs × 3 columns + a dot path with the engine's own
 * functions, timing each: input normalisation, TableStore.lookup, buildResultFrame.
 */
async function profileLookup(
  cacheDir: string,
  variant: Variant,
  ids: string[],
  rssBefore: number,
): Promise<string[]> {
  const store = new CacheStore(cacheDir, { ...DEFAULT_STORE, ...variant.store }).table(TABLE, () => ({
    notFoundTtlMs: DEFAULT_NOT_FOUND_TTL_MS,
  }));
  const base = [...THREE, 'details'];
  const steps = ['meta', 'score'];
  const outputs: OutputColumn[] = [
    ...THREE.map((c) => ({ name: c, column: c })),
    { name: 'details.meta.score', column: 'details', extract: (cell: unknown) => extractPath(cell, steps) },
  ];
  const plainOutputs = THREE.map((c) => ({ name: c, column: c }));
  await store.lookup(ids, base); // warm-up: loads the parts into memory
  const acc = { norm: [] as number[], lookup3: [] as number[], build3: [] as number[] };
  const accPath = { lookup: [] as number[], build: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const n = await time(() => distinct(normalizeIds(ids)));
    acc.norm.push(n.ms);
    const l3 = await time(() => store.lookup(n.value, THREE));
    acc.lookup3.push(l3.ms);
    acc.build3.push((await time(() => buildResultFrame(l3.value.frame(), n.value, plainOutputs))).ms);
    const l = await time(() => store.lookup(n.value, base));
    accPath.lookup.push(l.ms);
    accPath.build.push((await time(() => buildResultFrame(l.value.frame(), n.value, outputs))).ms);
  }
  const med = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!.toFixed(1);
  };
  return [
    `normalizeIds + distinct (100k): ${med(acc.norm)} ms`,
    `TableStore.lookup, 3 columns: ${med(acc.lookup3)} ms; buildResultFrame: ${med(acc.build3)} ms`,
    `TableStore.lookup, 3 columns + details: ${med(accPath.lookup)} ms; buildResultFrame with the path: ${med(accPath.build)} ms`,
    `(peak RSS before this replay: ${rssBefore.toFixed(0)} MB; the replay holds a second copy of the parts)`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Parent: runs each variant in a child and prints the tables

const ms = (v: number | undefined): string =>
  v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1);

function render(r: VariantResult): string {
  const out = [
    `### ${r.label}`,
    '',
    `Populated ${r.rows.toLocaleString('en-US')} rows × ${ALL_COLUMNS.length} columns with one getData call (${r.populateBatches} batches) in ${(r.populateMs / 1000).toFixed(1)} s → ${r.partsAfterPopulate} part(s). Peak RSS (maxRSS) ${r.maxRssMb.toFixed(0)} MB.`,
    '',
    '| case | getData ms | polars isIn ms | polars semi join ms | getData / isIn | getData / semi | notes |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const l of r.lines) {
    const ratio = (raw: number | undefined): string =>
      raw === undefined ? '—' : `${(l.cacheMs / raw).toFixed(2)}×`;
    out.push(
      `| ${l.label} | ${ms(l.cacheMs)} | ${ms(l.rawIsInMs)} | ${ms(l.rawSemiMs)} | ${ratio(l.rawIsInMs)} | ${ratio(l.rawSemiMs)} | ${l.note ?? ''} |`,
    );
  }
  out.push(
    '',
    'Replay of getData for 100,000 IDs (median of runs):',
    '',
    ...r.profile.map((p) => `- ${p}`),
    '',
  );
  return out.join('\n');
}

function runChild(variant: Variant): Promise<VariantResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--variant', variant.key], { stdio: 'inherit' });
    let result: VariantResult | undefined;
    child.on('message', (msg) => {
      result = msg as VariantResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`variant ${variant.key} exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--variant');
  if (at >= 0) {
    const variant = VARIANTS.find((v) => v.key === process.argv[at + 1]);
    if (!variant) throw new Error(`unknown variant ${process.argv[at + 1]}`);
    const result = await runVariant(variant);
    await new Promise<void>((resolve, reject) =>
      process.send ? process.send(result, (e) => (e ? reject(e) : resolve())) : resolve(),
    );
    return;
  }
  const started = new Date().toISOString();
  const results: VariantResult[] = [];
  for (const v of VARIANTS) results.push(await runChild(v));
  console.log(
    `\nEngine bench, ${started}, Node ${process.version}, nodejs-polars ${polarsVersion}, median of ${RUNS} runs after one warm-up\n`,
  );
  for (const r of results) console.log(render(r));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
