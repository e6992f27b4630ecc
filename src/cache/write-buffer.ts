/**
 * The write buffer of one table: rows fetched and not yet flushed, and the rows of the flush
 * under way. Lookups of the process read both. Its size is bounded: a writer over the budget
 * waits (backpressure) until a flush has made room, so a long fetch cannot grow memory.
 */
import { Overlay } from './overlay.js';

export class WriteBuffer {
  rows = new Overlay();
  flushing: Overlay | undefined;
  private waiters: Array<() => void> = [];

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.rows.bytes + (this.flushing?.bytes ?? 0);
  }

  get full(): boolean {
    return this.bytes > this.budgetBytes;
  }

  /** Takes the rows for a flush; new writes go to a fresh buffer meanwhile. */
  take(): Overlay | undefined {
    if (this.rows.size === 0) return undefined;
    this.flushing = this.rows;
    this.rows = new Overlay();
    return this.flushing;
  }

  /** A flush that failed: its rows come back (newer rows written meanwhile win by their stamps). */
  restore(rows: Overlay): void {
    for (const [id, r] of rows.rows) this.rows.add(id, r);
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
    this.rows = new Overlay();
  }
}
