/** The not-found file: IDs the upstream did not return (`id`, `_cg_at`), with their own TTL. */
import pl from 'nodejs-polars';
import { encodeParquet, newPartName, readPartFile, writePartFile } from './part-io.js';

export async function writeNotFound(dir: string, map: ReadonlyMap<string, number>): Promise<string> {
  const df = pl.DataFrame([
    pl.Series('id', [...map.keys()], pl.String),
    pl.Series('_cg_at', Float64Array.from(map.values()), pl.Float64),
  ]);
  const file = newPartName('notfound');
  await writePartFile(dir, file, encodeParquet(df));
  return file;
}

export async function readNotFound(dir: string, file: string): Promise<Map<string, number>> {
  const df = await readPartFile(dir, file);
  const ids = df.getColumn('id').toArray() as string[];
  const at = df.getColumn('_cg_at').toArray() as number[];
  const map = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) map.set(ids[i]!, at[i]!);
  return map;
}
