/** Removal of a table's files that no version references any more (replaced, or left by a crash or a lost race). */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LOG_DIR, liveFiles, MANIFEST, type Manifest } from './manifest.js';
import type { PartMemory } from './part-io.js';

/** Files no version references are removed once they are this old (a reader may hold them). */
export const GRACE_MS = 60_000;

/** Removes the files `m` does not reference, once past the grace period; returns how many. */
export async function vacuum(dir: string, m: Manifest, now: number, memory: PartMemory): Promise<number> {
  const live = liveFiles(m);
  let removed = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (live.has(f) || f === MANIFEST || f === LOG_DIR || f === '.lock') continue;
    const s = await stat(path.join(dir, f)).catch(() => undefined);
    if (!s?.isFile() || now - s.mtimeMs < GRACE_MS) continue;
    await removeFile(dir, memory, f);
    removed++;
  }
  return removed;
}

/** Removes a file and its in-memory copy. */
export async function removeFile(dir: string, memory: PartMemory, file: string): Promise<void> {
  memory.forget(file);
  await rm(path.join(dir, file), { force: true });
}
