/**
 * What every store benchmark shares: the `movies` table (7 columns, one JSON), its deterministic
 * rows, a 5 ms upstream, seeded ID samples, timing helpers and the shape of a result line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_STORE, type StoreLimits } from '../../src/config/types.js';
import type { Fetcher, SourceRow } from '../../src/sources/types.js';

export const TABLE = 'movies';
export const COLUMNS = {
  title: 'String',
  year: 'Int',
  rating: 'Float',
  country: 'String',
  votes: 'Int',
  active: 'Boolean',
  details: 'JSON',
} as const;
export const ALL_COLUMNS = Object.keys(COLUMNS);
export const THREE = ['title', 'year', 'rating'];
/** The upstream's fixed answer time (issue #6: "a fetcher answering in a fixed 5 ms"). */
export const UPSTREAM_MS = 5;

const COUNTRIES = ['US', 'FR', 'DE', 'JP', 'IN', 'BR', 'GB', 'IT', 'ES', 'KR', 'MX', 'SE'];
const NAMES = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eve', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jun'];

/** One line of the final table. `ratio` is value / baseline, both measured in the same run. */
export interface Line {
  bench: string;
  case: string;
  value: number;
  unit: 'ms' | 'MB' | 's' | 'µs';
  baseline?: string | undefined;
  baselineValue?: number | undefined;
  goal?: string | undefined;
  /** Whether the goal is met; undefined when the line has no goal. */
  met?: boolean | undefined;
  note?: string | undefined;
}

export interface BenchEnv {
  reps: number;
  /** Table size of the warm, compaction and upsert benchmarks. */
  rows: number;
  missSizes: number[];
  fillSizes: number[];
  databaseUrl: string;
}

function mix(n: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The full row of movie `n` (`version` changes the title, for upserts of changed values). */
export function movieValues(n: number, version = 0): Record<string, unknown> {
  const h = mix(n);
  return {
    title: version === 0 ? `Movie ${n} ${NAMES[h % NAMES.length]}` : `Movie ${n} v${version}`,
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
}

export function movieRow(id: string, columns: readonly string[], version = 0): SourceRow {
  const full = movieValues(Number(id), version);
  const row: SourceRow = { id };
  for (const c of columns) row[c] = full[c];
  return row;
}

/** The upstream of the miss and upsert benchmarks: answers after a fixed 5 ms, every ID exists. */
export function slowFetcher(version = 0, calls?: { n: number }): Fetcher {
  return async (ids, columns) => {
    if (calls) calls.n++;
    await sleep(UPSTREAM_MS);
    return ids.map((id) => movieRow(id, columns, version));
  };
}

/** `count` distinct IDs in 1..max, picked by a seeded generator. */
export function sampleIds(count: number, max: number, seed: number): string[] {
  const out = new Set<string>();
  let s = seed >>> 0;
  while (out.size < Math.min(count, max)) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.add(String((s % max) + 1));
  }
  return [...out];
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** One warm-up, then the median of `reps` runs. */
export async function medianOf(reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push((await timed(fn)).ms);
  return median(times);
}

export const limits = (over: Partial<StoreLimits> = {}): StoreLimits => ({ ...DEFAULT_STORE, ...over });

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export const peakRssMb = (): number => process.resourceUsage().maxRSS / 1024;

export const fmt = (n: number): string => n.toLocaleString('en-US');
