/**
 * Writes `schema.graphql`: the SDL of the built-in demo config, types sorted, for review in
 * diffs and for frontends. `--check` only compares and exits 1 when the file is out of date (CI).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printConfigSchema } from '../src/cli/schema.js';
import { demoConfig } from '../src/config/demo.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const target = join(root, 'schema.graphql');
const sdl = `${printConfigSchema(demoConfig(root))}\n`;

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => undefined);
  if (current === undefined) {
    console.error('schema.graphql is missing: run "npm run schema" and commit the file.');
    process.exit(1);
  }
  if (current !== sdl) {
    const a = current.split('\n');
    const b = sdl.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    const at = line === -1 ? b.length : line;
    console.error(
      `schema.graphql is out of date (first difference at line ${at + 1}):\n` +
        `  file:      ${a[at] ?? '(end of file)'}\n  generated: ${b[at] ?? '(end of file)'}\n` +
        'Run "npm run schema" and commit schema.graphql.',
    );
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  await writeFile(target, sdl);
  console.log(`wrote ${target}`);
}
