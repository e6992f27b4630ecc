/**
 * Progress of a fetch job for a terminal: a bar redrawn in place with `\r` on a TTY, and plain
 * lines (one per finished batch) when the output is a pipe or a log file, where `\r` would pile up.
 */
import type { FetchProgress } from '../engine/types.js';
import { formatCount, formatDuration } from './format.js';
import type { Output } from './io.js';

export interface ProgressReporter {
  update(event: FetchProgress): void;
  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void;
}

const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 8;
// Redrawing faster than the eye reads only costs terminal throughput on big jobs.
const REDRAW_MS = 80;

export function fraction(event: FetchProgress): number {
  if (event.status !== 'RUNNING') return 1;
  return event.batchesTotal > 0 ? Math.min(1, event.batchesDone / event.batchesTotal) : 0;
}

export function describe(event: FetchProgress): string {
  const parts = [
    `${event.batchesDone}/${event.batchesTotal} batches`,
    `${formatCount(event.rowsFetched)}/${formatCount(event.totalIds)} rows`,
    formatDuration(event.elapsedMs),
  ];
  if (event.status === 'RUNNING' && event.etaMs !== null) parts.push(`eta ${formatDuration(event.etaMs)}`);
  if (event.failedCount > 0) parts.push(`${formatCount(event.failedCount)} failed`);
  if (event.notFoundCount > 0) parts.push(`${formatCount(event.notFoundCount)} not found`);
  return parts.join('  ');
}

/** One line of at most `columns - 1` characters: the bar shrinks before the figures are cut. */
export function renderBar(event: FetchProgress, columns = 80): string {
  const percent = `${Math.floor(fraction(event) * 100)}%`.padStart(4);
  const text = describe(event);
  const fixed = `${event.table} [] ${percent}  ${text}`.length;
  const width = Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, columns - 1 - fixed));
  const filled = Math.round(fraction(event) * width);
  const line = `${event.table} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${text}`;
  return line.slice(0, columns - 1);
}

export function createProgressReporter(out: Output, now: () => number = Date.now): ProgressReporter {
  if (out.isTTY) {
    let drawnAt = Number.NEGATIVE_INFINITY;
    let drawnLength = 0;
    let drawn = false;
    return {
      update(event) {
        const t = now();
        if (event.status === 'RUNNING' && t - drawnAt < REDRAW_MS) return;
        drawnAt = t;
        const line = renderBar(event, out.columns ?? 80);
        // Pad over the previous line: a shorter redraw would leave its tail on screen.
        out.write(`\r${line.padEnd(drawnLength)}`);
        drawnLength = line.length;
        drawn = true;
      },
      finish() {
        if (drawn) out.write('\n');
        drawn = false;
      },
    };
  }
  let last = '';
  return {
    update(event) {
      const line = `${event.status.toLowerCase()} ${event.table} ${Math.floor(fraction(event) * 100)}%  ${describe(event)}`;
      // Events that change nothing visible (a retry, a heartbeat) would only add noise to a log.
      const key = `${event.status} ${event.batchesDone} ${event.rowsFetched} ${event.failedCount} ${event.notFoundCount}`;
      if (key === last) return;
      last = key;
      out.write(`${line}\n`);
    },
    finish() {},
  };
}
