/**
 * Rows newer than the base parts: the write buffer, held in memory as ID → row with a fetch stamp
 * per column, and the committed deltas a process knows (delta-index.ts), so a lookup merges them
 * with the base at the cost of a Map lookup. For each (ID, column) the value with the newest stamp wins;
 * a not-found stamp (`nf`) or a tombstone (`del`) hides every value fetched before it.
 */
import pl from 'nodejs-polars';
import { idFrame } from './frames.js';

export interface OverlayRow {
  /** Column → stored value (already checked and converted for its type). */
  values: Record<string, unknown>;
  /**
   * Column → when it was fetched (epoch ms). Rows of one fetched batch share this object:
   * replace it, never change it in place (`mergeRow` does).
   */
  at: Readonly<Record<string, number>>;
  /** When the upstream last confirmed the row exists (an ID-only fetch has no column stamp). */
  ok?: number;
  /** When the upstream last answered "no such ID". */
  nf?: number;
  /** When the ID was invalidated. */
  del?: number;
}

/**
 * `o[key]` for own keys only: column names are data, and a column named `constructor` must not
 * read Object's. (Rows stay plain literals rather than prototype-less objects, which V8 keeps in
 * the slower, larger dictionary mode.)
 */
export function own<T>(o: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Folds `src` into `dst` (newest stamp wins per column; ties go to `src`, the later write). */
export function mergeRow(dst: OverlayRow, src: OverlayRow): void {
  let at: Record<string, number> | undefined;
  for (const c in src.at) {
    const t = src.at[c]!;
    const have = own(dst.at, c);
    if (have === undefined || t >= have) {
      // `dst.at` may be shared with the other rows of its batch: write a copy.
      at ??= { ...dst.at };
      at[c] = t;
      dst.values[c] = src.values[c];
    }
  }
  if (at) dst.at = at;
  if (src.ok !== undefined && (dst.ok === undefined || src.ok > dst.ok)) dst.ok = src.ok;
  if (src.nf !== undefined && (dst.nf === undefined || src.nf > dst.nf)) dst.nf = src.nf;
  if (src.del !== undefined && (dst.del === undefined || src.del > dst.del)) dst.del = src.del;
}

/** Rough in-memory size of a row, for the write buffer's byte budget. */
export function rowBytes(id: string, r: OverlayRow): number {
  let n = 120 + id.length * 2;
  for (const c in r.at) {
    const v = r.values[c];
    n += 48 + (typeof v === 'string' ? v.length * 2 : 8);
  }
  return n;
}

/** Chunks an overlay's ID frame may hold before it is made contiguous again. */
export const MAX_CHUNKS = 16;

/**
 * One layer of rows newer than the base, as lookups read it: the write buffer (an `Overlay`) or
 * the delta index (rows kept in the delta files' frames).
 */
export interface OverlayLayer {
  /** Rows it holds: 0 when it holds none (an ID may count once per delta file holding it). */
  readonly size: number;
  /** The ID's row: every column the layer has for it, with its stamps. */
  get(id: string): OverlayRow | undefined;
  /** Its IDs as a polars frame (duplicates allowed), for large lookups' native join. */
  idFrame(): pl.DataFrame;
  ids(): IterableIterator<string>;
}

export class Overlay implements OverlayLayer {
  readonly rows = new Map<string, OverlayRow>();
  bytes = 0;
  /** Its IDs as a frame, once a large lookup asked, and the IDs added since (appended at the next ask). */
  private idList: { frame: pl.DataFrame; added: string[] } | undefined;

  get size(): number {
    return this.rows.size;
  }

  get(id: string): OverlayRow | undefined {
    return this.rows.get(id);
  }

  ids(): IterableIterator<string> {
    return this.rows.keys();
  }

  /** Adds a row (taking ownership of it) or merges it into the one held. */
  add(id: string, row: OverlayRow): void {
    const have = this.rows.get(id);
    if (have) {
      this.bytes -= rowBytes(id, have);
      mergeRow(have, row);
      this.bytes += rowBytes(id, have);
    } else {
      this.rows.set(id, row);
      this.idList?.added.push(id);
      this.bytes += rowBytes(id, row);
    }
  }

  addAll(other: Overlay): void {
    for (const [id, r] of other.rows) this.add(id, r);
  }

  /**
   * Its IDs as a polars frame, for large lookups to find their overlaid IDs with one native join
   * instead of a Map probe per ID. Rows are never removed, so the frame only grows: a delta index
   * of hundreds of thousands of IDs appends the few new ones rather than crossing N-API whole
   * again after every flush.
   */
  idFrame(): pl.DataFrame {
    if (!this.idList) this.idList = { frame: idFrame([...this.rows.keys()]), added: [] };
    else if (this.idList.added.length > 0) {
      const frame = this.idList.frame.vstack(idFrame(this.idList.added));
      // Each append is a chunk; many small ones would slow every join that reads the frame.
      this.idList = { frame: frame.nChunks() > MAX_CHUNKS ? frame.rechunk() : frame, added: [] };
    }
    return this.idList.frame;
  }
}

/** The IDs of every overlay row, as one frame (duplicates across layers kept). */
export function overlayIds(layers: readonly OverlayLayer[]): pl.DataFrame | undefined {
  if (layers.length <= 1) return layers[0]?.idFrame();
  return pl.concat(
    layers.map((o) => o.idFrame()),
    { how: 'vertical', rechunk: false },
  );
}

/** What a merged row means at `now`: the policy shared by lookups and compaction. */
export interface RowPolicy {
  now: number;
  ttlMs?: number | undefined;
  notFoundTtlMs: number;
  /** Whole-table invalidate stamp. */
  truncatedAt?: number | undefined;
}

/** Stamps at or before this are hidden (tombstone, not-found answer, table truncate). */
export function cutOf(r: { del?: number | undefined; nf?: number | undefined }, p: RowPolicy): number {
  return Math.max(r.del ?? -1, r.nf ?? -1, p.truncatedAt ?? -1);
}

/** The not-found rule itself: answered after any invalidate or truncate, and within its TTL. */
export function notFoundStill(nf: number | undefined, del: number | undefined, p: RowPolicy): boolean {
  return nf !== undefined && nf > (del ?? -1) && nf > (p.truncatedAt ?? -1) && p.now - nf < p.notFoundTtlMs;
}
