import { createCache } from '../engine/cache.js';
import { parseTableCommand } from './args.js';
import { formatBytes, formatCount, formatDuration, formatTable } from './format.js';
import { type CliIo, EXIT } from './io.js';
import { resolveConfig } from './resolve-config.js';

export const usage = `Usage: cachegate compact [table] [--config PATH]

Compacts a table (every configured table by default): drops rows whose columns are all past
the TTL, expired not-found ids, and files no manifest references any more (left by a crash).
Safe while servers share the cache folder.

Options:
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseTableCommand('compact', args, usage, (text) => io.stdout.write(text), false);
  if (parsed === undefined) return EXIT.ok;
  const { table } = parsed;
  const { config } = await resolveConfig(parsed.config, io.cwd);
  const cache = createCache(config);
  try {
    const before = await cache.stats(table);
    const started = Date.now();
    await cache.compact(table);
    const elapsed = Date.now() - started;
    const after = new Map((await cache.stats(table)).map((s) => [s.table, s]));
    const rows = before.map((b) => {
      const a = after.get(b.table);
      return [
        b.table,
        `${formatCount(b.rows)} -> ${formatCount(a?.rows ?? 0)}`,
        `${formatCount(b.parts)} -> ${formatCount(a?.parts ?? 0)}`,
        `${formatBytes(b.bytes)} -> ${formatBytes(a?.bytes ?? 0)}`,
      ];
    });
    io.stdout.write(
      `${formatTable(['table', 'rows', 'parts', 'bytes'], rows)}\ncompacted in ${formatDuration(elapsed)}\n`,
    );
    return EXIT.ok;
  } finally {
    await cache.close();
  }
}
