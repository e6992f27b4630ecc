/**
 * The manifest names one whole version of a table: its schema, its base parts, its deltas in
 * commit order, its not-found file. Versions are committed by `commit.ts`; readers read
 * `manifest.json` (the latest version's copy) first, so they never see half of an update.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LogicalType } from './column-types.js';

export const MANIFEST = 'manifest.json';
/** Folder of committed versions, one file each, created exclusively (see commit.ts). */
export const LOG_DIR = '_log';

export interface FileEntry {
  file: string;
  rows: number;
  bytes: number;
}

/** A base part: the rows whose ID hash has `key` in its low `depth` bits. */
export interface PartEntry extends FileEntry {
  depth: number;
  key: number;
}

/** A delta: rows appended by one flush, merged on read by the newest fetch stamp. */
export type DeltaEntry = FileEntry;

export interface Manifest {
  format: 2;
  table: string;
  version: number;
  /** Column → logical type, in column order; `id` and `_cg_` columns are implicit. */
  schema: Record<string, LogicalType>;
  parts: PartEntry[];
  deltas: DeltaEntry[];
  /** Parquet file of IDs the upstream did not return (`id`, `_cg_at`), if any. */
  notFound: string | null;
  /** Columns seen only as nulls so far: typed by the first non-null value that arrives. */
  untyped?: string[];
  /** A whole-table invalidate: every value fetched before this stamp is gone. */
  truncatedAt?: number;
}

export function emptyManifest(table: string): Manifest {
  return { format: 2, table, version: 0, schema: {}, parts: [], deltas: [], notFound: null };
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

/** Parses a manifest; a format-1 manifest (no deltas yet) reads as format 2. */
export function parseManifest(text: string, where: string): Manifest {
  const m = JSON.parse(text) as Omit<Manifest, 'format'> & { format: number };
  if ((m.format !== 1 && m.format !== 2) || !Array.isArray(m.parts)) {
    throw new Error(`Unsupported cache manifest in ${where}: remove the folder to rebuild the cache.`);
  }
  return { ...m, format: 2, deltas: m.deltas ?? [] };
}

/** The version `manifest.json` names (it may trail the log by one commit after a crash). */
export async function readManifestFile(dir: string, table: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest(table);
    throw e;
  }
  return parseManifest(text, dir);
}

export function logFile(dir: string, version: number): string {
  return path.join(dir, LOG_DIR, `${String(version).padStart(20, '0')}.json`);
}

/**
 * The newest committed version: `manifest.json`, then any log versions after it (a writer that
 * died between its log commit and the copy to `manifest.json` leaves one there).
 */
export async function readLatest(dir: string, table: string): Promise<Manifest> {
  let m = await readManifestFile(dir, table);
  for (;;) {
    let text: string;
    try {
      text = await readFile(logFile(dir, m.version + 1), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return m;
      throw e;
    }
    m = parseManifest(text, dir);
  }
}

export function liveFiles(m: Manifest): Set<string> {
  const live = new Set<string>([...m.parts, ...m.deltas].map((f) => f.file));
  if (m.notFound) live.add(m.notFound);
  return live;
}
