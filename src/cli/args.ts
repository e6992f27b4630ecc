import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

/** Options every command takes besides its own. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string', short: 'c' },
} as const;

/**
 * `parseArgs` with strict checking, turning its TypeErrors (unknown option, missing value)
 * into UsageErrors so the user sees the message and not a stack.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>(config);
  } catch (e) {
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(e.message);
    }
    throw e;
  }
}

/**
 * The shape `check`, `stats` and `compact` share: `[table] [--config PATH] [--json]` and `--help`.
 * Returns undefined after printing the usage for `--help`.
 */
export function parseTableCommand(
  command: string,
  args: string[],
  usage: string,
  write: (text: string) => void,
  withJson: boolean,
): { table: string | undefined; config: string | undefined; json: boolean } | undefined {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: withJson ? { ...COMMON_OPTIONS, json: { type: 'boolean' } } : COMMON_OPTIONS,
  });
  if (values.help) {
    write(`${usage}\n`);
    return undefined;
  }
  if (positionals.length > 1)
    throw new UsageError(`${command} takes at most one table, but got: ${positionals.join(' ')}`);
  const json = 'json' in values && values.json === true;
  return { table: positionals[0], config: values.config, json };
}

export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(
      `--port must be an integer from 0 to 65535 (0 picks a free port), but got: ${value}`,
    );
  }
  return port;
}

/** `a,b , c` → `['a','b','c']`; undefined when the option is absent (meaning: every column). */
export function parseList(value: string | undefined, option: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    throw new UsageError(`${option} needs at least one name, like ${option} title,year`);
  return items;
}
