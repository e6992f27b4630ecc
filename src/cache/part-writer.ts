/** Writes a base part, splitting it by the next hash bit while it is over the size limits. */
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { fsyncPath, tempName } from './atomic-file.js';
import { hashId, type PartSlot, slotName } from './hash.js';
import type { PartEntry } from './manifest.js';
import { newPartName, type PartMemory, readIdColumn } from './part-io.js';

export async function writeSplit(
  dir: string,
  df: pl.DataFrame,
  slot: PartSlot,
  limits: StoreLimits,
  memory: PartMemory,
  /** Hold the new parts in memory (else only their ID columns, for lookups' probes). */
  hold: boolean,
): Promise<PartEntry[]> {
  const { maxPartRows, maxPartBytes } = limits;
  const splittable = slot.depth < 32 && df.height > 1;
  // Over the row limit it splits anyway: no need to write it whole first.
  if (!(splittable && df.height > maxPartRows)) {
    const written = await writeOffLoop(dir, df.lazy());
    if (!splittable || written.bytes <= maxPartBytes) {
      const file = await placePart(dir, written.tmp, slot);
      if (hold) memory.set(file, df);
      else memory.setIds(file, df.select('id'));
      return [{ ...slot, file, rows: df.height, bytes: written.bytes }];
    }
    await rm(written.tmp, { force: true });
  }
  const ids = df.getColumn('id').toArray() as string[];
  const bit = ids.map((id) => ((hashId(id) >>> slot.depth) & 1) === 1);
  const high = pl.Series('_cg_bit', bit, pl.Bool);
  return [
    ...(await writeSplit(
      dir,
      df.filter(high.not()),
      { depth: slot.depth + 1, key: slot.key },
      limits,
      memory,
      hold,
    )),
    ...(await writeSplit(
      dir,
      df.filter(high),
      { depth: slot.depth + 1, key: (slot.key | (1 << slot.depth)) >>> 0 },
      limits,
      memory,
      hold,
    )),
  ];
}

/**
 * Writes a base part from a query, straight from polars' engine to the file: the rows are never
 * a frame in memory here. Only when the part outgrew the size limits is it read back and split.
 * Its ID column is kept for lookups' probes (the part is not held).
 */
export async function sinkSplit(
  dir: string,
  query: pl.LazyDataFrame,
  slot: PartSlot,
  limits: StoreLimits,
  memory: PartMemory,
): Promise<PartEntry[]> {
  const written = await writeOffLoop(dir, query);
  let ids: pl.DataFrame;
  let df: pl.DataFrame | undefined;
  try {
    ids = await readIdColumn(written.tmp);
    const splittable = slot.depth < 32 && ids.height > 1;
    if (splittable && (ids.height > limits.maxPartRows || written.bytes > limits.maxPartBytes)) {
      df = await pl.scanParquet(written.tmp).collect();
    }
  } catch (e) {
    await rm(written.tmp, { force: true });
    throw e;
  }
  if (df) {
    await rm(written.tmp, { force: true });
    return writeSplit(dir, df, slot, limits, memory, false);
  }
  const file = await placePart(dir, written.tmp, slot);
  memory.setIds(file, ids);
  return [{ ...slot, file, rows: ids.height, bytes: written.bytes }];
}

/** Renames a written part into place under a fresh name of its slot; returns the name. */
async function placePart(dir: string, tmp: string, slot: PartSlot): Promise<string> {
  const file = newPartName(slotName(slot));
  await rename(tmp, path.join(dir, file));
  return file;
}

/**
 * Writes a frame or query as a new file named `name`, encoded in polars' thread pool
 * (`sinkParquet`), not on the event loop; fsynced before it is renamed into place, so a version
 * that names it never finds it half written. Returns its size in bytes.
 */
export async function sinkNewFile(dir: string, name: string, lf: pl.LazyDataFrame): Promise<number> {
  const written = await writeOffLoop(dir, lf);
  await rename(written.tmp, path.join(dir, name));
  return written.bytes;
}

/**
 * Encodes and writes a part in polars' thread pool (`sinkParquet`), not on the event loop: a
 * compaction encoding a 1M-row part with `writeParquet` stalled every lookup of the process for
 * its whole duration (p99 1.9 s). The file is fsynced; its name is fresh, so nothing reads it
 * before a committed version names it.
 */
async function writeOffLoop(dir: string, lf: pl.LazyDataFrame): Promise<{ tmp: string; bytes: number }> {
  const tmp = tempName(dir, 'part');
  await lf.sinkParquet(tmp, { compression: 'zstd' }).collect();
  await fsyncPath(tmp);
  return { tmp, bytes: (await stat(tmp)).size };
}
