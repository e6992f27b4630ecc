import { createCache } from '../engine/cache.js';
import type { TableStats } from '../engine/types.js';
import { parseTableCommand } from './args.js';
import { formatBytes, formatTable } from './format.js';
import { type CliIo, EXIT } from './io.js';
import { resolveConfig } from './resolve-config.js';

export const usage = `Usage: cachegate stats [table] [--config PATH] [--json]

Prints rows, part files, delta files and bytes on disk per cached table (every configured table by
default): what any process can read from the cache folder. Hits, misses and upstream fetches are
counted by each server process in memory: ask a running server (cacheStats query, or /metrics).

Options:
  --json              print the figures as JSON
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseTableCommand('stats', args, usage, (text) => io.stdout.write(text), true);
  if (parsed === undefined) return EXIT.ok;
  const { config } = await resolveConfig(parsed.config, io.cwd);
  const cache = createCache(config);
  try {
    const stats = (await cache.stats(parsed.table)).map(onDisk);
    io.stdout.write(`${parsed.json ? JSON.stringify(stats, null, 2) : statsTable(stats)}\n`);
    return EXIT.ok;
  } finally {
    await cache.close();
  }
}

/** What the cache folder holds for a table. */
export interface DiskStats {
  table: string;
  rows: number;
  parts: number;
  deltas: number;
  bytes: number;
}

// The engine's hit/miss/fetch counters live in the memory of the process that served the
// queries; this command is a fresh process, so they would always read 0 here. Only what is on
// disk is printed.
function onDisk(s: TableStats): DiskStats {
  return { table: s.table, rows: s.rows, parts: s.parts, deltas: s.deltas, bytes: s.bytes };
}

export function statsTable(stats: readonly DiskStats[]): string {
  return formatTable(
    ['table', 'rows', 'parts', 'deltas', 'bytes'],
    stats.map((s) => [s.table, s.rows, s.parts, s.deltas, formatBytes(s.bytes)]),
  );
}
