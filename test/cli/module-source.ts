/** A small config with a `module` source, written into a temp folder for the CLI tests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// IDs starting with "bad" make the source throw, so their batch fails; "gone" IDs are not returned.
const SOURCE = `export async function fetch(ids, columns) {
  if (ids.some((id) => id.startsWith('bad'))) throw new Error('upstream refused ' + ids.length + ' ids');
  return ids
    .filter((id) => !id.startsWith('gone'))
    .map((id) => ({ id, title: 'Movie ' + id, year: 1900 + Number(id) }));
}
`;

export async function writeModuleConfig(dir: string): Promise<void> {
  await writeFile(join(dir, 'source.mjs'), SOURCE);
  const config = {
    cacheDir: '.cache',
    tables: {
      movies: {
        typeName: 'Movie',
        source: { kind: 'module', path: './source.mjs' },
        columns: { title: 'String', year: 'Int' },
        batch: { concurrency: 1, maxSize: 10, retries: 0, backoff: '1ms' },
      },
    },
  };
  await writeFile(join(dir, 'cachegate.config.json'), JSON.stringify(config, null, 2));
}

export async function writeIds(dir: string, name: string, ids: readonly string[]): Promise<string> {
  await writeFile(join(dir, name), `${ids.join('\n')}\n`);
  return name;
}
