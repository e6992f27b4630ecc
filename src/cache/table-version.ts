/**
 * The committed version of one table as a process follows it: the manifest, its not-found
 * answers, the index of its deltas and of its parts by slot. The manifest is re-read only when
 * its file changed on disk. Commits of the process go through here, one at a time (commit.ts
 * serialises them across processes).
 */
import { type CommitOptions, commitVersion } from './commit.js';
import { DeltaIndex } from './delta-index.js';
import { SlotIndex, slotName } from './hash.js';
import {
  emptyManifest,
  type Manifest,
  type ManifestStamp,
  type PartEntry,
  readLatest,
  sameStamp,
  stampOf,
} from './manifest.js';
import { readNotFound } from './not-found.js';
import type { PendingSchema } from './schema-evolution.js';

/** A file a version named is gone: another process replaced it; a newer version names what holds its rows. */
export function isMissingFile(e: unknown): boolean {
  return e instanceof Error && /No such file|ENOENT/.test(e.message);
}

export class TableVersion {
  private current_: Manifest;
  private stamp: ManifestStamp | undefined;
  private loaded = false;
  private syncing: Promise<void> | undefined;
  private notFoundFile: string | null = null;
  private notFound_ = new Map<string, number>();
  /** Rows of the committed deltas this process has read. */
  readonly deltas = new DeltaIndex();
  private slots_ = new SlotIndex([]);
  /** The manifest's parts by slot name, built once per version. */
  private bySlot_ = new Map<string, PartEntry>();
  private commits: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly table: string,
    private readonly pending: PendingSchema,
    private readonly beforeCommit: CommitOptions['beforeCommit'],
  ) {
    this.current_ = emptyManifest(table);
  }

  /** The version last adopted (call `current()` first to catch up with the disk). */
  get m(): Manifest {
    return this.current_;
  }

  get notFound(): ReadonlyMap<string, number> {
    return this.notFound_;
  }

  get slots(): SlotIndex {
    return this.slots_;
  }

  get bySlot(): ReadonlyMap<string, PartEntry> {
    return this.bySlot_;
  }

  /** The latest committed version, re-read only when the manifest file changed on disk. */
  async current(): Promise<Manifest> {
    const stamp = await stampOf(this.dir);
    if (this.loaded && sameStamp(stamp, this.stamp)) return this.current_;
    this.syncing ??= this.sync(stamp).finally(() => {
      this.syncing = undefined;
    });
    await this.syncing;
    return this.current_;
  }

  /** The next `current()` re-reads the manifest (a file the version named was gone). */
  reload(): void {
    this.loaded = false;
  }

  private async sync(stamp: ManifestStamp | undefined): Promise<void> {
    // Another process's compaction may remove a delta between our manifest read and the file
    // read; its newer version names the part that holds those rows now.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.adopt(await readLatest(this.dir, this.table));
        this.stamp = stamp;
        this.loaded = true;
        return;
      } catch (e) {
        if (attempt >= 9 || !isMissingFile(e)) throw e;
      }
    }
  }

  /** Takes `m` as the current version: reads its new deltas (or rebuilds the index after a compaction). */
  private async adopt(m: Manifest): Promise<void> {
    if (m.version < this.current_.version && this.loaded) return;
    if (m.notFound !== this.notFoundFile) {
      this.notFound_ = m.notFound ? await readNotFound(this.dir, m.notFound) : new Map();
      this.notFoundFile = m.notFound;
    }
    await this.deltas.follow(this.dir, m);
    this.current_ = m;
    this.slots_ = new SlotIndex(m.parts);
    this.bySlot_ = new Map(m.parts.map((p) => [slotName(p), p]));
    this.pending.adopt(m);
  }

  /** Takes a version this process just committed. */
  async adoptCommitted(m: Manifest): Promise<void> {
    try {
      await this.adopt(m);
      // No stamp: stat-ing manifest.json now could record a newer version another process
      // published since ours, which would then never be read. The next lookup re-reads it.
      this.stamp = undefined;
      this.loaded = true;
    } catch (e) {
      if (!isMissingFile(e)) throw e;
      this.loaded = false;
      await this.current();
    }
  }

  /** Commits the version `build` makes of the latest one, after this process's earlier commits. */
  commit(build: (latest: Manifest) => Omit<Manifest, 'version'> | undefined): Promise<Manifest | undefined> {
    const run = this.commits.then(() =>
      commitVersion(this.dir, this.table, build, { beforeCommit: this.beforeCommit }),
    );
    this.commits = run.catch(() => undefined);
    return run;
  }
}
