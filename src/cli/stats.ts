import { createCache } from '../engine.js';
import type { TableStats } from '../engine-types.js';
import { COMMON_OPTIONS, parseCommandArgs } from './args.js';
import { formatBytes, formatTable } from './format.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { resolveConfig } from './resolve-config.js';

export const usage = `Usage: cachegate stats [table] [--config PATH] [--json]

Prints rows, part files and bytes on disk per cached table (every configured table by default).
Hit, miss and fetch counters count this process only, so they are 0 here; see /metrics on a server.

Options:
  --json              print the figures as JSON
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1)
    throw new UsageError(`stats takes at most one table, but got: ${positionals.join(' ')}`);
  const { config } = await resolveConfig(values.config, io.cwd);
  const cache = createCache(config);
  try {
    const stats = await cache.stats(positionals[0]);
    io.stdout.write(`${values.json ? JSON.stringify(stats, null, 2) : statsTable(stats)}\n`);
    return EXIT.ok;
  } finally {
    await cache.close();
  }
}

export function statsTable(stats: readonly TableStats[]): string {
  return formatTable(
    ['table', 'rows', 'parts', 'bytes', 'hits', 'misses', 'fetches'],
    stats.map((s) => [s.table, s.rows, s.parts, formatBytes(s.bytes), s.hits, s.misses, s.fetches]),
  );
}
