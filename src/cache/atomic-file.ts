/**
 * Durable file writes. A live file is never written in place: `writeParquet` onto the live
 * file left it unreadable in 15 of 100 kill -9 runs here; temp file + fsync + rename + fsync of
 * the folder left none.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function fsyncPath(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename (or a new file) in `dir` survive a crash of the machine. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

export function tempName(dir: string, base: string): string {
  return path.join(dir, `.tmp-${base}-${randomUUID()}`);
}

/** Writes `data` to `target` atomically: readers see the old or the new content, never a mix. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(target);
  const tmp = tempName(dir, path.basename(target));
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}
