/**
 * Committing a new version of a table, lock-free across processes (as delta-rs commits): the
 * version file `_log/<n+1>.json` is created exclusively (`link` fails if it exists), so of two
 * writers racing for version n+1 exactly one wins; the other re-reads the winner's version,
 * re-applies its change (`build`) and tries n+2. No lock means no lock left behind by a writer
 * killed with SIGKILL: the next writer never waits for one. `manifest.json` is then replaced by
 * a copy of the version (temp file + fsync + rename + fsync of the folder) for readers.
 */
import { link, mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsyncDir, tempName, writeFileAtomic } from './atomic-file.js';
import { LOG_DIR, logFile, MANIFEST, type Manifest, readLatest } from './manifest.js';

/** The change no longer applies to the latest version (what it replaces is gone): give up. */
export class CommitConflict extends Error {}

export interface CommitOptions {
  /** Test seam: runs after the new files are durable and before the version is committed. */
  beforeCommit?: (() => void | Promise<void>) | undefined;
}

/** Versions older than this many behind the newest are removed from the log. */
const LOG_KEEP = 32;

/**
 * Commits `build(latest)` as the next version; retries on a concurrent commit with the newer
 * version. `build` returns undefined when there is nothing to commit, and throws CommitConflict
 * when its change cannot apply any more. Returns the committed version.
 */
export async function commitVersion(
  dir: string,
  table: string,
  build: (latest: Manifest) => Omit<Manifest, 'version'> | undefined,
  opts: CommitOptions = {},
): Promise<Manifest | undefined> {
  const logDir = path.join(dir, LOG_DIR);
  await mkdir(logDir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const latest = await readLatest(dir, table);
    const change = build(latest);
    if (!change) return undefined;
    const next: Manifest = { ...change, version: latest.version + 1 };
    const text = `${JSON.stringify(next, null, 1)}\n`;
    const tmp = tempName(logDir, 'version');
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // The files this version names (parts, deltas) were fsynced; their names must be too.
    await fsyncDir(dir);
    await opts.beforeCommit?.();
    try {
      await link(tmp, logFile(dir, next.version));
    } catch (e) {
      await rm(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 1_000) throw e;
      // Another writer took this version: re-read it and re-apply our change on top.
      await sleep(Math.random() * Math.min(50, 2 ** Math.min(attempt, 6)));
      continue;
    }
    await rm(tmp, { force: true });
    await fsyncDir(logDir);
    await publish(dir, table, next);
    if (next.version % 16 === 0) void trimLog(logDir, next.version - LOG_KEEP);
    return next;
  }
}

/** Copies the newest version to `manifest.json`, never leaving it older than what exists. */
async function publish(dir: string, table: string, m: Manifest): Promise<void> {
  let copy = m;
  for (let i = 0; i < 8; i++) {
    await writeFileAtomic(path.join(dir, MANIFEST), `${JSON.stringify(copy, null, 1)}\n`);
    // A writer that committed a newer version may have published before us: publish that one.
    const latest = await readLatest(dir, table);
    if (latest.version === copy.version) return;
    copy = latest;
  }
}

async function trimLog(logDir: string, below: number): Promise<void> {
  const names = await readdir(logDir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => /^\d{20}\.json$/.test(n) && Number(n.slice(0, 20)) < below)
      .map((n) => rm(path.join(logDir, n), { force: true })),
  );
}
