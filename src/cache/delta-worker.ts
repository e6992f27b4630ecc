/**
 * The delta encoder's worker thread (see delta-encoder.ts): builds a flush's polars frame from
 * its columns and encodes it as Parquet, so neither the per-cell conversion into polars nor the
 * encoding runs on the event loop that serves lookups and receives upstream rows.
 */
import { parentPort } from 'node:worker_threads';
import { type DeltaColumns, deltaFrameOf } from './delta-io.js';
import { encodeParquet } from './part-io.js';

export interface EncodeRequest {
  id: number;
  columns: DeltaColumns;
  /** Parquet (a delta file's bytes) or Arrow IPC (a frame for the write buffer, read back at once). */
  format: 'parquet' | 'ipc';
}

export type EncodeReply = { id: number; data: Uint8Array } | { id: number; error: string };

const port = parentPort;
if (port) {
  port.on('message', (m: EncodeRequest) => {
    let reply: EncodeReply;
    try {
      const df = deltaFrameOf(m.columns);
      reply = { id: m.id, data: m.format === 'ipc' ? df.writeIPC() : encodeParquet(df) };
    } catch (e) {
      reply = { id: m.id, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}
