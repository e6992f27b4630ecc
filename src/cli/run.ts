/**
 * The `cachegate` command line (DESIGN §5): picks the command, runs it, and turns errors into
 * exit codes. Commands load lazily so `--help` and `schema` do not pay for the server's imports.
 */
import { readFileSync } from 'node:fs';
import { isCacheGateError } from '../errors.js';
import { type CliIo, EXIT, UsageError } from './io.js';

interface CommandModule {
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: {
    summary: 'serve the GraphQL API (the built-in demo when there is no config)',
    load: () => import('./serve.js'),
  },
  init: {
    summary: 'write a config from a PostgreSQL (or PGlite) database: columns, keys, relations, comments',
    load: () => import('./init.js'),
  },
  check: {
    summary: 'compare each configured table with its source; exit 1 on a mismatch',
    load: () => import('./check.js'),
  },
  warm: {
    summary: 'fetch the IDs listed in a file into the cache, with a progress bar',
    load: () => import('./warm.js'),
  },
  stats: { summary: 'print rows, parts and bytes per cached table', load: () => import('./stats.js') },
  compact: {
    summary: 'drop expired rows, expired not-found ids and stale files',
    load: () => import('./compact.js'),
  },
  schema: { summary: 'print the GraphQL schema (SDL) for the config', load: () => import('./schema.js') },
};

export const usage = `Usage: cachegate <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`)
  .join('\n')}

Run "cachegate <command> --help" for a command's options.
Config: cachegate.config.{ts,js,mjs,json} in the current folder, or --config PATH.`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${usage}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`cachegate: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.\n`);
    return EXIT.usage;
  }
  try {
    return await (await command.load()).run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`cachegate ${name}: ${e.message}\nRun "cachegate ${name} --help" for usage.\n`);
      return EXIT.usage;
    }
    // Config and domain errors already say what is wrong and what to do; a stack would bury that.
    if (isCacheGateError(e)) {
      io.stderr.write(`cachegate ${name}: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(
      `cachegate ${name}: unexpected error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return EXIT.failed;
  }
}

function version(): string {
  // src/cli/ and dist/cli/ both sit two levels below package.json.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
}
