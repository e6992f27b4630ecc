import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createCache } from '../engine/cache.js';
import type { Cache, FetchProgress } from '../engine/types.js';
import { COMMON_OPTIONS, parseCommandArgs, parseList } from './args.js';
import { formatCount, formatDuration } from './format.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { createProgressReporter } from './progress-bar.js';
import { resolveConfig, withEnvFetchLocks } from './resolve-config.js';

export const usage = `Usage: cachegate warm <table> --ids-file FILE [--columns a,b] [--config PATH]

Fetches the rows of the IDs in FILE (one per line) into the cache, in batches, with a progress bar.
Exits 1 when some IDs could not be fetched (job PARTIAL or FAILED).

Options:
  --ids-file FILE     IDs to warm, one per line (blank lines are skipped)
  --columns a,b       columns to fetch (default: every configured column)
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help

Environment:
  REDIS_URL           take the cross-replica fetch locks the servers of the same cache folder take
                      (config "fetchLocks" overrides), so this warm and they do not fetch the same IDs`;

const SHOWN_FAILED_IDS = 20;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...COMMON_OPTIONS, 'ids-file': { type: 'string' }, columns: { type: 'string' } },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  const [table, ...extra] = positionals;
  if (table === undefined)
    throw new UsageError('warm needs a table name, like: cachegate warm movies --ids-file ids.txt');
  if (extra.length > 0) throw new UsageError(`warm takes one table, but got also: ${extra.join(' ')}`);
  const idsFile = values['ids-file'];
  if (idsFile === undefined) throw new UsageError('warm needs --ids-file FILE (one ID per line)');
  const columns = parseList(values.columns, '--columns');
  const ids = await readIds(resolve(io.cwd, idsFile));
  if (ids.length === 0) throw new UsageError(`${idsFile} holds no IDs: put one ID per line`);

  const { config } = await resolveConfig(values.config, io.cwd);
  const cache = createCache(withEnvFetchLocks(config, io.env));
  try {
    const final = await warmAndWait(cache, table, ids, columns, io);
    io.stdout.write(`${summary(final)}\n`);
    if (final.status === 'SUCCEEDED') return EXIT.ok;
    const shown = final.failedIds.slice(0, SHOWN_FAILED_IDS).join(', ');
    const more =
      final.failedIds.length > SHOWN_FAILED_IDS
        ? `, and ${final.failedIds.length - SHOWN_FAILED_IDS} more`
        : '';
    io.stderr.write(
      `${formatCount(final.failedIds.length)} failed IDs${shown ? `: ${shown}${more}` : ''}${final.message ? `\n${final.message}` : ''}\n`,
    );
    return EXIT.failed;
  } finally {
    await cache.close();
  }
}

async function readIds(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new UsageError(`cannot read --ids-file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  });
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim();
    if (id !== '') seen.add(id);
  }
  return [...seen];
}

function warmAndWait(
  cache: Cache,
  table: string,
  ids: string[],
  columns: string[] | undefined,
  io: CliIo,
): Promise<FetchProgress> {
  const reporter = createProgressReporter(io.stderr);
  return new Promise<FetchProgress>((resolveJob, reject) => {
    let jobId: string | undefined;
    let settled = false;
    const early: FetchProgress[] = [];
    const onEvent = (event: FetchProgress): void => {
      if (settled || event.jobId !== jobId) return;
      reporter.update(event);
      if (event.status !== 'RUNNING') {
        settled = true;
        unsubscribe();
        reporter.finish();
        resolveJob(event);
      }
    };
    // Subscribed before starting: a job on cached rows may finish before `warm` returns, and its
    // last event must not be missed. Events are held until the job ID is known.
    const unsubscribe = cache.jobs.subscribe((event) => {
      if (jobId === undefined) early.push(event);
      else onEvent(event);
    });
    try {
      const first = cache.warm(table, ids, columns);
      jobId = first.jobId;
      for (const event of [first, ...early]) onEvent(event);
    } catch (e) {
      unsubscribe();
      reject(e);
    }
  });
}

function summary(event: FetchProgress): string {
  const notFound = event.notFoundCount > 0 ? `, ${formatCount(event.notFoundCount)} not found upstream` : '';
  return `warm ${event.table}: ${event.status} - ${formatCount(event.totalIds)} IDs, ${formatCount(event.rowsFetched)} rows fetched in ${event.batchesDone}/${event.batchesTotal} batches${notFound}, ${formatDuration(event.elapsedMs)}`;
}
