/**
 * The committed deltas a process knows, held in memory as ID → merged row, so a lookup costs a
 * Map read per ID however many deltas are pending. It follows the manifest: new deltas are read
 * once; when a compaction removed some, it is rebuilt from those left (usually none or few).
 */
import { readDelta } from './delta-io.js';
import type { Manifest } from './manifest.js';
import { Overlay } from './overlay.js';

export class DeltaIndex {
  rows = new Overlay();
  files = new Set<string>();

  async follow(dir: string, m: Manifest): Promise<void> {
    const live = new Set(m.deltas.map((d) => d.file));
    const rebuild = [...this.files].some((f) => !live.has(f));
    // Built aside and swapped in whole: a lookup meanwhile sees the old index, never half of one.
    const rows = rebuild ? new Overlay() : this.rows;
    const files = rebuild ? new Set<string>() : this.files;
    for (const d of m.deltas) {
      if (files.has(d.file)) continue;
      await readDelta(dir, d.file, m.schema, rows);
      files.add(d.file);
    }
    this.rows = rows;
    this.files = files;
  }

  /** A delta this process committed: indexed from the rows it wrote, not read back. */
  addOwn(file: string, rows: Overlay): void {
    this.rows.addAll(rows);
    this.files.add(file);
  }
}
