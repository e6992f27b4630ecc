/**
 * The write buffer of one table: rows fetched and not yet flushed, and the rows of the flush
 * under way. Lookups of the process read both. Small writes (a miss, tombstones, not-found
 * answers) are overlay rows; a bulk batch is a polars frame (`frames`), built off the event loop,
 * so a fill's rows do not live in the JS heap until their flush. Its size is bounded: a writer
 * over the budget waits (backpressure) until a flush has made room, so a long fetch cannot grow
 * memory.
 */
import { type DeltaFile, DeltaLayer } from './delta-index.js';
import { Overlay, type OverlayLayer } from './overlay.js';

/** One generation of the buffer: what one flush takes. */
export interface Buffered {
  rows: Overlay;
  frames: DeltaLayer;
  /** Estimated in-memory bytes of `frames`. */
  frameBytes: number;
}

const fresh = (): Buffered => ({ rows: new Overlay(), frames: new DeltaLayer(), frameBytes: 0 });

const sizeOf = (b: Buffered | undefined): number => (b ? b.rows.size + b.frames.size : 0);
const bytesOf = (b: Buffered | undefined): number => (b ? b.rows.bytes + b.frameBytes : 0);

export class WriteBuffer {
  private current = fresh();
  flushing: Buffered | undefined;
  private waiters: Array<() => void> = [];
  /** Frames being built for bulk batches written (see `building`), and their estimated bytes. */
  private readonly pendingFrames = new Set<Promise<void>>();
  private pendingBytes = 0;
  private pendingRows = 0;

  constructor(readonly budgetBytes: number) {}

  /**
   * A bulk batch's frame under construction: lookups and flushes wait for it (`ready`), so a
   * write is visible to every lookup that starts after it, as an overlay row is. Counted in the
   * buffer's bytes meanwhile (estimated).
   */
  building(frame: Promise<void>, rows: number, bytes: number): void {
    this.pendingBytes += bytes;
    this.pendingRows += rows;
    const p = frame.finally(() => {
      this.pendingFrames.delete(p);
      this.pendingBytes -= bytes;
      this.pendingRows -= rows;
    });
    this.pendingFrames.add(p);
  }

  /** Resolves once the frames under construction now are in the buffer (at once if none). */
  ready(): Promise<void> | undefined {
    if (this.pendingFrames.size === 0) return undefined;
    return Promise.all(this.pendingFrames).then(() => undefined);
  }

  /** The overlay rows written since the last flush began. */
  get rows(): Overlay {
    return this.current.rows;
  }

  /** A bulk batch, as a frame (see `TableWriter.write`). */
  addFrame(file: DeltaFile, bytes: number): void {
    this.current.frames.add(file);
    this.current.frameBytes += bytes;
  }

  /** The layers lookups read, oldest first (the flush under way, then what waits). */
  layers(): OverlayLayer[] {
    const out: OverlayLayer[] = [];
    for (const b of [this.flushing, this.current]) {
      if (!b) continue;
      if (b.frames.size > 0) out.push(b.frames);
      if (b.rows.size > 0) out.push(b.rows);
    }
    return out;
  }

  /** IDs waiting for a flush (not counting the flush under way). */
  get waiting(): number {
    return sizeOf(this.current) + this.pendingRows;
  }

  /** IDs waiting (frames being built included), and in the flush under way. */
  get size(): number {
    return sizeOf(this.current) + this.pendingRows + sizeOf(this.flushing);
  }

  get waitingBytes(): number {
    return bytesOf(this.current) + this.pendingBytes;
  }

  get bytes(): number {
    return bytesOf(this.current) + bytesOf(this.flushing) + this.pendingBytes;
  }

  get full(): boolean {
    return this.bytes > this.budgetBytes;
  }

  /** Takes the rows for a flush; new writes go to a fresh buffer meanwhile. */
  take(): Buffered | undefined {
    if (sizeOf(this.current) === 0) return undefined;
    this.flushing = this.current;
    this.current = fresh();
    return this.flushing;
  }

  /** A flush that failed: its rows come back (newer rows written meanwhile win by their stamps). */
  restore(b: Buffered): void {
    for (const [id, r] of b.rows.rows) this.current.rows.add(id, r);
    for (const f of b.frames.files) this.current.frames.add(f);
    this.current.frameBytes += b.frameBytes;
  }

  /** The flush under way ended; writers waiting for room go on if there is room (or on failure). */
  settled(failed: boolean): void {
    this.flushing = undefined;
    if (this.full && !failed) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the buffer is back under its budget (the caller starts a flush). */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  clear(): void {
    this.current = fresh();
  }
}
