// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${DATABASE_URL}` is config syntax written on purpose.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE_NAMES, parseConfig } from '../config/load.js';
import { readCatalog } from '../sources/catalog.js';
import { type CatalogTarget, connectCatalog } from '../sources/catalog-connect.js';
import { COMMON_OPTIONS, parseCommandArgs, parseList } from './args.js';
import { configFromCatalog, type SourceRef } from './init-config.js';
import { type CliIo, EXIT, UsageError } from './io.js';

export const usage = `Usage: cachegate init --from URL [--tables a,b] [--schema public] [--out cachegate.config.json] [--force]

Reads the database's catalog and writes a config serving its tables: every column with its type,
the primary key as the ID, foreign keys as relations, COMMENT ON texts as descriptions.
Tables without a single-column primary key are skipped (with a warning).

Options:
  --from URL          postgres://user:password@host:5432/db (default: $DATABASE_URL), or
                      pglite:FOLDER for an embedded PGlite database (the demo's: pglite:.cachegate/demo-db)
  --tables a,b        only these tables (default: every table of the schema)
  --schema NAME       the schema to read (default: public)
  --out FILE          where to write (default: cachegate.config.json)
  --force             overwrite FILE if it exists
  -h, --help          show this help

The config reads the URL from \${DATABASE_URL} rather than holding it (and its password).`;

const DEFAULT_OUT = 'cachegate.config.json';

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      help: COMMON_OPTIONS.help,
      from: { type: 'string' },
      tables: { type: 'string' },
      schema: { type: 'string' },
      out: { type: 'string', short: 'o' },
      force: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`init takes no arguments, but got: ${positionals.join(' ')}`);
  const from = values.from ?? io.env['DATABASE_URL'];
  if (from === undefined || from === '')
    throw new UsageError('init needs --from postgres://user:password@host:5432/db (or pglite:FOLDER)');
  const tables = parseList(values.tables, '--tables');
  const schema = values.schema ?? 'public';
  const outName = values.out ?? DEFAULT_OUT;
  const out = path.resolve(io.cwd, outName);
  if (existsSync(out) && values.force !== true) {
    throw new UsageError(
      `${outName} exists already: pass --force to overwrite it, or --out FILE to write another`,
    );
  }

  const { target, ref } = parseFrom(from, io.cwd, path.dirname(out));
  const db = await connectCatalog(target);
  let catalog: Awaited<ReturnType<typeof readCatalog>>;
  try {
    catalog = await readCatalog(db.run, schema, tables);
  } finally {
    await db.close();
  }
  const missing = (tables ?? []).filter((t) => !catalog.some((c) => c.name === t));
  if (missing.length > 0) {
    io.stderr.write(
      `cachegate init: no table ${missing.join(', ')} in schema "${schema}" of ${db.upstream}.${catalog.length > 0 ? ` Tables there: ${catalog.map((c) => c.name).join(', ')}.` : ''}\n`,
    );
    return EXIT.failed;
  }
  const { config, warnings } = configFromCatalog(catalog, ref);
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  const names = Object.keys(config.tables);
  if (names.length === 0) {
    io.stderr.write(
      `cachegate init: found no table to serve in schema "${schema}" of ${db.upstream}${catalog.length === 0 ? ' (it has no tables; check --schema)' : ''}. Nothing written.\n`,
    );
    return EXIT.failed;
  }
  // The file must load as it is written: a problem here is a bug of init, not of the database.
  parseConfig(config, path.dirname(out), { ...io.env, DATABASE_URL: ref.kind === 'postgres' ? from : '' });
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(config, null, 2)}\n`);

  const columns = Object.values(config.tables).reduce((n, t) => n + Object.keys(t.columns).length, 0);
  const relations = Object.values(config.tables).reduce(
    (n, t) => n + Object.keys(t.relations ?? {}).length,
    0,
  );
  const lines = [
    `Wrote ${outName}: ${names.length} table${names.length === 1 ? '' : 's'} (${names.join(', ')}), ${columns} columns, ${relations} relations, from ${db.upstream}.`,
  ];
  const other = CONFIG_FILE_NAMES.find(
    (n) => n !== path.basename(out) && existsSync(path.join(path.dirname(out), n)),
  );
  if (other && CONFIG_FILE_NAMES.indexOf(other) < CONFIG_FILE_NAMES.indexOf(path.basename(out))) {
    lines.push(`Note: ${other} is in the same folder and is found first; pass --config ${outName}.`);
  }
  const configFlag = outName === DEFAULT_OUT ? '' : ` --config ${outName}`;
  lines.push('', 'Next:');
  if (ref.kind === 'postgres' && io.env['DATABASE_URL'] !== from) {
    lines.push(
      `  export DATABASE_URL='${from.replaceAll("'", "'\\''")}'   # the config reads it as \${DATABASE_URL}`,
    );
  }
  lines.push(`  cachegate check${configFlag}   # compares the config with the database`);
  lines.push(`  cachegate serve${configFlag}   # GraphiQL at http://127.0.0.1:4000/graphql`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

/**
 * Where to read the catalog, and how the config names that database: `${DATABASE_URL}` for
 * PostgreSQL (no password in the file), a folder relative to the config file for PGlite.
 */
function parseFrom(from: string, cwd: string, outDir: string): { target: CatalogTarget; ref: SourceRef } {
  if (/^postgres(ql)?:\/\//.test(from)) {
    return { target: { kind: 'postgres', url: from }, ref: { kind: 'postgres', url: '${DATABASE_URL}' } };
  }
  if (from.startsWith('pglite:')) {
    const folder = from.slice('pglite:'.length);
    if (folder === '' || folder.includes('://')) {
      throw new UsageError(
        '--from pglite:FOLDER needs the folder of the PGlite database, like pglite:./data',
      );
    }
    const dataDir = path.resolve(cwd, folder);
    if (!existsSync(dataDir)) {
      throw new UsageError(
        `${dataDir} does not exist: point pglite: at the folder of a PGlite database (the demo creates .cachegate/demo-db on its first query)`,
      );
    }
    const relative = path.relative(outDir, dataDir) || '.';
    return { target: { kind: 'pglite', dataDir }, ref: { kind: 'pglite', dataDir: relative } };
  }
  throw new UsageError(
    `--from must be a postgres:// URL or pglite:FOLDER, but got: ${from.split('@').at(-1)}`,
  );
}
