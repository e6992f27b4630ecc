/** The not-found file: IDs the upstream did not return (`id`, `_cg_at`), with their own TTL. */
import pl from 'nodejs-polars';
import { newPartName, readPartFile } from './part-io.js';
import { sinkNewFile } from './part-writer.js';

export const NOT_FOUND_AT = '_cg_at';

/** Writes the not-found frame (`id`, `_cg_at`) as a new file, off the event loop; returns its name. */
export async function writeNotFound(dir: string, df: pl.DataFrame): Promise<string> {
  const file = newPartName('notfound');
  await sinkNewFile(dir, file, df.lazy().select(pl.col('id'), pl.col(NOT_FOUND_AT)));
  return file;
}

/** The not-found file as a frame (boxed: see TableParts.box); empty when there is none. */
export async function readNotFoundFrame(dir: string, file: string | null): Promise<{ df: pl.DataFrame }> {
  if (!file) {
    return {
      df: pl.DataFrame([pl.Series('id', [], pl.String), pl.Series(NOT_FOUND_AT, [], pl.Float64)]),
    };
  }
  return { df: await readPartFile(dir, file) };
}

export async function readNotFound(dir: string, file: string): Promise<Map<string, number>> {
  const df = await readPartFile(dir, file);
  const ids = df.getColumn('id').toArray() as string[];
  const at = df.getColumn(NOT_FOUND_AT).toArray() as number[];
  const map = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) map.set(ids[i]!, at[i]!);
  return map;
}
