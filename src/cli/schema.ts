import { lexicographicSortSchema, printSchema } from 'graphql';
import type { CacheGateConfig } from '../config/types.js';
import { buildSchema } from '../schema/index.js';
import { COMMON_OPTIONS, parseCommandArgs } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { resolveConfig } from './resolve-config.js';

export const usage = `Usage: cachegate schema [--config PATH]

Prints the GraphQL schema (SDL) the server would serve for the config, types sorted by name.

Options:
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help`;

/** Sorted so the printed SDL is stable for diffs and `schema:check`. */
export function printConfigSchema(config: CacheGateConfig): string {
  return printSchema(lexicographicSortSchema(buildSchema(config)));
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: COMMON_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`schema takes no arguments, but got: ${positionals.join(' ')}`);
  const { config } = await resolveConfig(values.config, io.cwd);
  io.stdout.write(`${printConfigSchema(config)}\n`);
  return EXIT.ok;
}
