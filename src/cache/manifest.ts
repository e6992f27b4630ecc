/**
 * The manifest names one whole version of a table: its schema, its live part files and its
 * not-found file. Writers replace it atomically; readers read it first, so they never see
 * half of an update.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import type { LogicalType } from './column-types.js';

export const MANIFEST = 'manifest.json';

export interface PartEntry {
  depth: number;
  key: number;
  file: string;
  rows: number;
  bytes: number;
}

export interface Manifest {
  format: 1;
  table: string;
  version: number;
  /** Column → logical type, in column order; `id` and `_cg_` columns are implicit. */
  schema: Record<string, LogicalType>;
  parts: PartEntry[];
  /** Parquet file of IDs the upstream did not return (`id`, `_cg_at`), if any. */
  notFound: string | null;
  /** Columns seen only as nulls so far: typed by the first non-null value that arrives. */
  untyped?: string[];
}

export function emptyManifest(table: string): Manifest {
  return { format: 1, table, version: 0, schema: {}, parts: [], notFound: null };
}

/** Identity of the manifest file on disk; a rename by any process changes it. */
export interface ManifestStamp {
  ino: number;
  mtimeMs: number;
  size: number;
}

export async function stampOf(dir: string): Promise<ManifestStamp | undefined> {
  try {
    const s = await stat(path.join(dir, MANIFEST));
    return { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function sameStamp(a: ManifestStamp | undefined, b: ManifestStamp | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size;
}

export async function readManifest(dir: string, table: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest(table);
    throw e;
  }
  const m = JSON.parse(text) as Manifest;
  if (m.format !== 1 || !Array.isArray(m.parts)) {
    throw new Error(`Unsupported cache manifest in ${dir}: remove the folder to rebuild the cache.`);
  }
  return m;
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify(m, null, 1)}\n`);
}
