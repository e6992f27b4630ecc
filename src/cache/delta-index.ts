/**
 * The committed deltas a process knows. Their rows stay in the delta files' polars frames, in
 * native memory; the JS heap holds only ID → (file, row), so a lookup still costs a Map read per
 * ID however many deltas are pending. A file's columns become JS values only when a lookup first
 * reaches one of its rows, and a row an overlay row only when a lookup reaches it (a cold fill
 * reaches none). Held as JS rows, up to twice
 * `compactDeltaRows` of them, the deltas were most of a fill's live heap (~600 bytes a row),
 * and V8 let its heap grow to a few times that between collections.
 *
 * It follows the manifest: new deltas are read once (a delta this process wrote comes from its
 * flush: the buffer's frames, or its file read back off the event loop); when a compaction
 * removed some, the index of the files left is rebuilt from memory, never from disk.
 */
import pl from 'nodejs-polars';
import { type DecodedDelta, decodeDelta, deltaRow } from './delta-io.js';
import type { TableSchema } from './frames.js';
import type { Manifest } from './manifest.js';
import { weigh } from './native-weight.js';
import { MAX_CHUNKS, mergeRow, type OverlayLayer, type OverlayRow } from './overlay.js';
import { readPartFile } from './part-io.js';

/** One delta file as the index holds it. */
export interface DeltaFile {
  name: string;
  /** Its rows. */
  df: pl.DataFrame;
  /** Row number → ID (the strings the index's keys are). */
  ids: readonly string[];
  /** The table's types when it was written or read: how its columns decode. */
  schema: TableSchema;
  /** Its columns as JS values, once a lookup reached one of its rows. */
  decoded?: DecodedDelta;
  /** Its rows lookups reached, as overlay rows (built once: a large lookup reaches thousands). */
  rows?: Array<OverlayRow | undefined>;
}

/** Reads a committed delta file for the index. */
export async function readDeltaFile(dir: string, name: string, schema: TableSchema): Promise<DeltaFile> {
  const df = weigh(await readPartFile(dir, name));
  return { name, df, ids: df.getColumn('id').toArray() as string[], schema };
}

/**
 * The rows of some delta files, oldest file first. It only grows (`add`): a lookup holding it
 * sees every ID it saw before, and a compaction's removal builds a new one.
 */
export class DeltaLayer implements OverlayLayer {
  readonly files: DeltaFile[] = [];
  private readonly names = new Set<string>();
  /** ID → its newest entry; an ID in several files chains to its older entries through `prev`. */
  private readonly newest = new Map<string, number>();
  private fileOf: Int32Array = new Int32Array(0);
  private rowOf: Int32Array = new Int32Array(0);
  private prev: Int32Array = new Int32Array(0);
  private entries = 0;
  /** Files whose IDs are in `newest` (the first ones): the map is built when first read. */
  private indexed = 0;
  private rowCount = 0;
  /** The files' IDs as one frame, and how many files it covers. */
  private ids_: { frame: pl.DataFrame; files: number } | undefined;

  /** Rows it holds (an ID in several files counts once per file). */
  get size(): number {
    return this.rowCount;
  }

  has(file: string): boolean {
    return this.names.has(file);
  }

  add(f: DeltaFile): void {
    if (this.names.has(f.name)) return;
    this.names.add(f.name);
    this.files.push(f);
    this.rowCount += f.ids.length;
  }

  /**
   * Puts the IDs of the files added since into the map, on the first read that needs it: large
   * lookups find their overlaid IDs through `idFrame` first, so a cold fill, whose lookups find
   * none, never builds it (a Map insertion per fetched ID, twice: in the buffer, then here).
   */
  private index(): void {
    for (; this.indexed < this.files.length; this.indexed++) {
      const fileNo = this.indexed;
      const { ids } = this.files[fileNo]!;
      this.reserve(this.entries + ids.length);
      for (let row = 0; row < ids.length; row++) {
        const id = ids[row]!;
        const k = this.entries++;
        this.fileOf[k] = fileNo;
        this.rowOf[k] = row;
        this.prev[k] = this.newest.get(id) ?? -1;
        this.newest.set(id, k);
      }
    }
  }

  /** The ID's row merged over the files that hold it (newest stamp per column wins). */
  get(id: string): OverlayRow | undefined {
    if (this.indexed < this.files.length) this.index();
    let k = this.newest.get(id);
    if (k === undefined) return undefined;
    if (this.prev[k] === -1) return this.row(k);
    const chain: number[] = [];
    for (; k !== -1; k = this.prev[k]!) chain.push(k);
    // A copy: the rows of each file are kept, and mergeRow writes into its first argument.
    const oldest = this.row(chain[chain.length - 1]!);
    const merged: OverlayRow = { ...oldest, values: { ...oldest.values } };
    for (let i = chain.length - 2; i >= 0; i--) mergeRow(merged, this.row(chain[i]!));
    return merged;
  }

  ids(): IterableIterator<string> {
    this.index();
    return this.newest.keys();
  }

  idFrame(): pl.DataFrame {
    const have = this.ids_;
    if (have?.files === this.files.length) return have.frame;
    const added = this.files.slice(have?.files ?? 0).map((f) => f.df.select('id'));
    let frame = pl.concat(have ? [have.frame, ...added] : added, { how: 'vertical', rechunk: false });
    // Each file is a chunk; many would slow every join that reads the frame.
    if (frame.nChunks() > MAX_CHUNKS) frame = frame.rechunk();
    this.ids_ = { frame, files: this.files.length };
    return frame;
  }

  /** Row `k` as an overlay row, shared by every lookup that reaches it: never change it. */
  private row(k: number): OverlayRow {
    const f = this.files[this.fileOf[k]!]!;
    const i = this.rowOf[k]!;
    f.rows ??= new Array<OverlayRow | undefined>(f.ids.length);
    let row = f.rows[i];
    if (!row) {
      f.decoded ??= decodeDelta(f.df, f.schema);
      row = deltaRow(f.decoded, i);
      f.rows[i] = row;
    }
    return row;
  }

  private reserve(n: number): void {
    if (n <= this.fileOf.length) return;
    const size = Math.max(n, this.fileOf.length * 2, 1_024);
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(size);
      b.set(a.subarray(0, this.entries));
      return b;
    };
    this.fileOf = grow(this.fileOf);
    this.rowOf = grow(this.rowOf);
    this.prev = grow(this.prev);
  }
}

export class DeltaIndex {
  rows = new DeltaLayer();
  /** Per layer being built aside (see `follow`): the deltas this process committed meanwhile. */
  private readonly aside = new Set<DeltaFile[]>();

  async follow(dir: string, m: Manifest): Promise<void> {
    const live = new Set(m.deltas.map((d) => d.file));
    let layer = this.rows;
    let meanwhile: DeltaFile[] | undefined;
    if (layer.files.some((f) => !live.has(f.name))) {
      // A compaction folded some: the files left, from memory, in a layer built aside and
      // swapped in whole (a lookup meanwhile sees the old one, never half of one).
      layer = new DeltaLayer();
      for (const f of this.rows.files) if (live.has(f.name)) layer.add(f);
      meanwhile = [];
      this.aside.add(meanwhile);
    }
    try {
      for (const d of m.deltas) {
        if (!layer.has(d.file)) layer.add(await readDeltaFile(dir, d.file, m.schema));
      }
      // A flush of ours committed meanwhile went into the layer being replaced: carry it over,
      // or its rows would vanish from lookups until the next manifest read.
      for (const own of meanwhile ?? []) layer.add(own);
    } finally {
      if (meanwhile) this.aside.delete(meanwhile);
    }
    this.rows = layer;
  }

  /** A delta this process committed (its frame comes from the flush). */
  addOwn(f: DeltaFile): void {
    this.rows.add(f);
    for (const list of this.aside) list.push(f);
  }
}
