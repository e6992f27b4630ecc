import { parseTableCommand } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { resolveConfig } from './resolve-config.js';
import { checkTables, reportLines } from './source-check.js';

export const usage = `Usage: cachegate check [table] [--config PATH] [--json]

Compares each configured table with its source: the source table exists, the ID column and every
declared column exist, and each declared type fits what the database sends (an int8 column
declared Int, a numeric declared Float, ... are mismatches). PostgreSQL and PGlite sources are
checked; http and module sources have no catalog and are listed as not checked.
Exits 1 when a table does not match its source. \`serve\` logs the same findings at start-up.

Options:
  --json              print the reports as JSON
  -c, --config PATH   config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help          show this help`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseTableCommand('check', args, usage, (text) => io.stdout.write(text), true);
  if (parsed === undefined) return EXIT.ok;
  const { config } = await resolveConfig(parsed.config, io.cwd);
  const only = parsed.table;
  if (only !== undefined && !Object.hasOwn(config.tables, only)) {
    throw new UsageError(
      `no table "${only}" in the config; configured: ${Object.keys(config.tables).join(', ')}`,
    );
  }
  const reports = await checkTables(config, only);
  const mismatched = reports.filter((r) => r.findings.some((f) => f.level === 'error'));
  if (parsed.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    const summary =
      mismatched.length === 0
        ? `Every checked table matches its source.`
        : `${mismatched.length} of ${reports.length} table${reports.length === 1 ? '' : 's'} do not match their source: fix the config (or the database), then run cachegate check again.`;
    io.stdout.write(`${[...reportLines(reports), '', summary].join('\n')}\n`);
  }
  return mismatched.length === 0 ? EXIT.ok : EXIT.failed;
}
