/**
 * The committed deltas a process knows, held in memory as ID → merged row, so a lookup costs a
 * Map read per ID however many deltas are pending. It follows the manifest: new deltas are read
 * once; when a compaction removed some, their rows are dropped from memory, and only when a row
 * also holds values of a delta still pending is the index rebuilt from the files left.
 */
import { readDelta } from './delta-io.js';
import type { Manifest } from './manifest.js';
import { Overlay } from './overlay.js';

export class DeltaIndex {
  rows = new Overlay();
  /** Each delta file indexed → the IDs it holds. */
  private files = new Map<string, readonly string[]>();

  /** How often a compaction's removal had to re-read the deltas left (a row mixed both). */
  rebuilds = 0;
  /** Per index being built aside (see `follow`): the deltas this process committed meanwhile. */
  private readonly aside = new Set<Array<{ file: string; rows: Overlay }>>();

  async follow(dir: string, m: Manifest): Promise<void> {
    const live = new Set(m.deltas.map((d) => d.file));
    const gone = [...this.files.keys()].filter((f) => !live.has(f));
    // Built aside and swapped in whole: a lookup meanwhile sees the old index, never half of one.
    let kept = gone.length > 0 ? this.without(gone) : { rows: this.rows, files: this.files };
    if (!kept) {
      this.rebuilds++;
      kept = { rows: new Overlay(), files: new Map() };
    }
    const meanwhile: Array<{ file: string; rows: Overlay }> | undefined =
      kept.rows === this.rows ? undefined : [];
    if (meanwhile) this.aside.add(meanwhile);
    try {
      for (const d of m.deltas) {
        if (kept.files.has(d.file)) continue;
        kept.files.set(d.file, await readDelta(dir, d.file, m.schema, kept.rows));
      }
      // A flush of ours committed meanwhile went into the index being replaced: carry it over,
      // or its rows would vanish from lookups until the next manifest read.
      for (const own of meanwhile ?? []) index(kept, own.file, own.rows);
    } finally {
      if (meanwhile) this.aside.delete(meanwhile);
    }
    this.rows = kept.rows;
    this.files = kept.files;
  }

  /** A delta this process committed: indexed from the rows it wrote, not read back. */
  addOwn(file: string, rows: Overlay): void {
    const into = { rows: this.rows, files: this.files };
    index(into, file, rows);
    for (const list of this.aside) list.push({ file, rows });
  }

  /**
   * The index without the rows of the `gone` files (a compaction folded them into the base),
   * taken from memory: the rows of the files left, as they are. Undefined when an ID is in both
   * (its merged row mixes values of both), and only then are the files left read again. A cold
   * fill re-read every delta committed during a compaction, ~1 s of a 1,000,000-row fill.
   */
  private without(
    gone: readonly string[],
  ): { rows: Overlay; files: Map<string, readonly string[]> } | undefined {
    const goneSet = new Set(gone);
    const files = new Map([...this.files].filter(([f]) => !goneSet.has(f)));
    const keptIds = new Set<string>();
    for (const ids of files.values()) for (const id of ids) keptIds.add(id);
    if (keptIds.size > 0) {
      for (const f of gone) for (const id of this.files.get(f) ?? []) if (keptIds.has(id)) return undefined;
    }
    const rows = new Overlay();
    for (const id of keptIds) {
      const r = this.rows.get(id);
      if (r) rows.add(id, r);
    }
    return { rows, files };
  }
}

/** Adds a delta's rows to an index, once. */
function index(
  into: { rows: Overlay; files: Map<string, readonly string[]> },
  file: string,
  rows: Overlay,
): void {
  if (into.files.has(file)) return;
  into.rows.addAll(rows);
  into.files.set(file, [...rows.rows.keys()]);
}
