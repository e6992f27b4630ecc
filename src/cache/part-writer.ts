/** Writes a base part, splitting it by the next hash bit while it is over the size limits. */
import pl from 'nodejs-polars';
import type { StoreLimits } from '../config/types.js';
import { hashId, type PartSlot, slotName } from './hash.js';
import type { PartEntry } from './manifest.js';
import { encodeParquet, newPartName, type PartMemory, writePartFile } from './part-io.js';

export async function writeSplit(
  dir: string,
  df: pl.DataFrame,
  slot: PartSlot,
  limits: StoreLimits,
  memory: PartMemory,
): Promise<PartEntry[]> {
  const { maxPartRows, maxPartBytes } = limits;
  const splittable = slot.depth < 32 && df.height > 1;
  // Over the row limit it splits anyway: no need to encode it whole first.
  const data = splittable && df.height > maxPartRows ? undefined : encodeParquet(df);
  if (splittable && (data === undefined || data.length > maxPartBytes)) {
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
      )),
      ...(await writeSplit(
        dir,
        df.filter(high),
        { depth: slot.depth + 1, key: (slot.key | (1 << slot.depth)) >>> 0 },
        limits,
        memory,
      )),
    ];
  }
  const file = newPartName(slotName(slot));
  const bytes = data ?? encodeParquet(df);
  await writePartFile(dir, file, bytes);
  memory.set(file, df, bytes.length);
  return [{ ...slot, file, rows: df.height, bytes: bytes.length }];
}
