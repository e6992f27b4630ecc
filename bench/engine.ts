/**
 * Store benchmarks of issue #6 (`npm run bench`): miss latency against table size, cold fill
 * from PostgreSQL, warm lookups beside DuckDB and raw polars, compaction, upsert. Each
 * benchmark (and each table size) runs in its own child process, so its peak RSS is its own and
 * one benchmark's memory never slows the next; the parent prints one table.
 *
 *   npm run bench                       every benchmark at full size
 *   npm run bench -- miss lookups       only those (miss, fill, lookups, compaction, upsert)
 *   BENCH_QUICK=1 npm run bench         small sizes, for a quick check
 *
 * Env: BENCH_ROWS (table size of lookups/compaction/upsert, default 1,000,000), BENCH_MISS_SIZES
 * (default 100000,1000000,5000000), BENCH_FILL_SIZES (default 1000000,3000000), BENCH_REPS
 * (repetitions, default 15), DATABASE_URL.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchEnv, fmt, type Line } from './engine/common.js';

const NAMES = ['miss', 'fill', 'lookups', 'compaction', 'upsert'] as const;
type Name = (typeof NAMES)[number];

const quick = process.env['BENCH_QUICK'] === '1';
const sizes = (v: string | undefined, d: number[]): number[] =>
  v ? v.split(',').map((s) => Number(s.replaceAll('_', ''))) : d;
const env: BenchEnv = {
  reps: Number(process.env['BENCH_REPS'] ?? (quick ? 5 : 15)),
  rows: Number(process.env['BENCH_ROWS'] ?? (quick ? 100_000 : 1_000_000)),
  missSizes: sizes(
    process.env['BENCH_MISS_SIZES'],
    quick ? [10_000, 100_000] : [100_000, 1_000_000, 5_000_000],
  ),
  fillSizes: sizes(process.env['BENCH_FILL_SIZES'], quick ? [100_000, 300_000] : [1_000_000, 3_000_000]),
  databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** One child run: a benchmark and its argument (a table size, a fill variant). */
interface Job {
  name: Name;
  arg: string;
}

function jobsOf(names: readonly Name[]): Job[] {
  const out: Job[] = [];
  for (const name of names) {
    if (name === 'miss') for (const n of env.missSizes) out.push({ name, arg: String(n) });
    else if (name === 'fill') {
      out.push({ name, arg: 'prepare' }, { name, arg: 'copy' });
      for (const n of env.fillSizes)
        for (const how of ['pg', 'warm', 'getData']) out.push({ name, arg: `${how}:${n}` });
    } else out.push({ name, arg: '' });
  }
  return out;
}

async function runJob(job: Job): Promise<Line[]> {
  switch (job.name) {
    case 'miss':
      return (await import('./engine/miss.js')).benchMiss(env, Number(job.arg));
    case 'fill':
      return (await import('./engine/fill.js')).benchFill(env, job.arg);
    case 'lookups':
      return (await import('./engine/lookups.js')).benchLookups(env);
    case 'compaction':
      return (await import('./engine/compaction.js')).benchCompaction(env);
    case 'upsert':
      return (await import('./engine/upsert.js')).benchUpsert(env);
  }
}

/** A child that fails or runs past BENCH_CHILD_TIMEOUT_S becomes a line saying so; the rest still runs. */
function runChild(job: Job): Promise<Line[]> {
  const limitS = Number(process.env['BENCH_CHILD_TIMEOUT_S'] ?? 3_600);
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', job.name, job.arg], { stdio: 'inherit' });
    let lines: Line[] | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitS * 1_000);
    child.on('message', (msg) => {
      lines = msg as Line[];
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && lines) return resolve(lines);
      const why = timedOut ? `stopped after ${limitS} s (BENCH_CHILD_TIMEOUT_S)` : `exited with ${code}`;
      resolve([
        {
          bench: job.name,
          case: `${job.name} ${job.arg}`.trim(),
          value: Number.NaN,
          unit: 'ms',
          note: `**${why}**`,
        },
      ]);
    });
  });
}

const num = (v: number | undefined, unit?: string): string => {
  if (v === undefined || Number.isNaN(v)) return '—';
  const s = v >= 100 ? fmt(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
};

/** Goals that span two children: miss at 1M against 100k, fill against direct pg, RSS across sizes. */
function crossLines(lines: Line[]): Line[] {
  const find = (rows: number): Line | undefined =>
    lines.find((l) => l.bench === '1 miss' && l.case === `${fmt(rows)} rows: miss of 1 new ID`);
  const big = find(1_000_000);
  const small = find(100_000);
  const out: Line[] = [];
  if (big && small)
    out.push({
      bench: '1 miss',
      case: '1-ID miss at 1,000,000 rows against 100,000 rows',
      value: big.value,
      unit: 'ms',
      baseline: 'same miss at 100,000 rows',
      baselineValue: small.value,
      goal: '≤ 1.5×',
      met: big.value <= 1.5 * small.value,
    });
  // Fill: each way against direct pg at the same size, and peak RSS across sizes.
  const fill = (how: string, n: number, rss = false): Line | undefined =>
    lines.find(
      (l) =>
        l.bench === '2 fill' && l.case === `${fmt(n)} rows × 7 columns via ${how}${rss ? ': peak RSS' : ''}`,
    );
  for (const n of env.fillSizes) {
    const pgLine = fill('pg', n);
    for (const how of ['warm', 'getData']) {
      const l = fill(how, n);
      if (l && pgLine) {
        l.baseline = 'same batch plan sent directly with pg';
        l.baselineValue = pgLine.value;
        l.goal = '≤ 1.3×';
        l.met = l.value <= 1.3 * pgLine.value;
      }
      const r = fill(how, n, true);
      const pgRss = fill('pg', n, true);
      if (r && pgRss) {
        r.baseline = 'direct pg peak RSS';
        r.baselineValue = pgRss.value;
        if (how === 'warm') {
          r.goal = '< 1 GiB';
          r.met = r.value < 1024;
        }
      }
    }
  }
  const [first, last] = [env.fillSizes[0], env.fillSizes[env.fillSizes.length - 1]];
  const w1 = first === undefined ? undefined : fill('warm', first, true);
  const w3 = last === undefined ? undefined : fill('warm', last, true);
  if (w1 && w3 && first !== last)
    out.push({
      bench: '2 fill',
      case: `warm peak RSS at ${fmt(last!)} rows against ${fmt(first!)} rows`,
      value: w3.value,
      unit: 'MB',
      baseline: `warm peak RSS at ${fmt(first!)} rows`,
      baselineValue: w1.value,
      goal: '≤ 1.2×',
      met: w3.value <= 1.2 * w1.value,
    });
  return out;
}

function render(lines: Line[], header: string): string {
  const out = [
    header,
    '',
    '| bench | case | median | baseline | baseline median | ratio | goal | met | notes |',
    '|---|---|---:|---|---:|---:|---|---|---|',
  ];
  for (const l of lines) {
    const ratio =
      l.baselineValue === undefined || l.baselineValue === 0
        ? '—'
        : `${(l.value / l.baselineValue).toFixed(2)}×`;
    const met = l.met === undefined ? '' : l.met ? 'yes' : '**no**';
    out.push(
      `| ${l.bench} | ${l.case} | ${num(l.value, l.unit)} | ${l.baseline ?? ''} | ${num(l.baselineValue, l.unit)} | ${ratio} | ${l.goal ?? ''} | ${met} | ${l.note ?? ''} |`,
    );
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--child');
  if (at >= 0) {
    const job: Job = { name: process.argv[at + 1] as Name, arg: process.argv[at + 2] ?? '' };
    const lines = await runJob(job);
    // Run by hand (`tsx bench/engine.ts --child fill warm:1000000`), it prints its own lines.
    if (!process.send)
      console.log(render(lines, `${job.name} ${job.arg}, load ${os.loadavg()[0]!.toFixed(1)}`));
    await new Promise<void>((resolve, reject) =>
      process.send ? process.send(lines, (e: Error | null) => (e ? reject(e) : resolve())) : resolve(),
    );
    // Polars and pg pools may keep handles open; the result is sent, so end here.
    process.exit(0);
  }
  const asked = [...process.argv.slice(2), ...(process.env['BENCH_ONLY']?.split(',') ?? [])].filter(Boolean);
  for (const a of asked)
    if (!NAMES.includes(a as Name)) throw new Error(`unknown benchmark "${a}": use ${NAMES.join(', ')}`);
  const names = asked.length > 0 ? NAMES.filter((n) => asked.includes(n)) : [...NAMES];
  const started = new Date().toISOString();
  const loadStart = os.loadavg();
  const lines: Line[] = [];
  for (const job of jobsOf(names)) {
    const t0 = performance.now();
    lines.push(...(await runChild(job)));
    process.stderr.write(
      `[bench] ${job.name} ${job.arg} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
    );
  }
  lines.push(...crossLines(lines));
  const loadEnd = os.loadavg();
  const polars = (
    JSON.parse(
      readFileSync(new URL('../node_modules/nodejs-polars/package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    }
  ).version;
  const la = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' ');
  const header = `Store bench ${started}, Node ${process.version}, nodejs-polars ${polars}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}; load average ${la(loadStart)} at start, ${la(loadEnd)} at end; reps ${env.reps}, table ${fmt(env.rows)} rows (lookups/compaction/upsert)`;
  console.log(`\n${render(lines, header)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
