/**
 * Encodes flushes as delta files in one worker thread per process. The event loop only lays the
 * rows out as plain columns (delta-io.ts `deltaColumns`); building the polars frame, one native
 * call per cell, and the Parquet encoding run in the worker. A cold fill of 1,000,000 rows spent
 * seconds of its event loop there. Idle, the worker does not keep the process alive; a pending
 * encode does (DESIGN §2: a pending flush keeps the process alive). Where the worker cannot run,
 * the encoding falls back to this thread.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import pl from 'nodejs-polars';
import { type DeltaColumns, deltaColumns, deltaFrameOf } from './delta-io.js';
import type { EncodeReply, EncodeRequest } from './delta-worker.js';
import type { TableSchema } from './frames.js';
import type { OverlayRow } from './overlay.js';
import { encodeParquet } from './part-io.js';

interface Pending {
  resolve: (data: Buffer) => void;
  reject: (e: Error) => void;
}

/** The worker answered that it could not encode the data (not that it failed to run). */
class EncodeError extends Error {}

let worker: Worker | undefined;
/** Set once a worker failed before it ever answered: this runtime cannot start one. */
let unavailable = false;
let answered = false;
let nextId = 0;
const pending = new Map<number, Pending>();

function startWorker(): Worker | undefined {
  if (unavailable) return undefined;
  // From the TypeScript sources (tests, `npm run cli`) the worker is the .ts file, loaded through
  // tsx's loader as the rest is (a worker does not inherit the parent's loader hooks, nor take
  // --import from execArgv here); from dist/ it is the compiled .js.
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './delta-worker.ts' : './delta-worker.js', import.meta.url);
  let w: Worker;
  try {
    if (fromSource) {
      // Resolved from here: the process may run in any folder (the CLI tests run in a temp one).
      // `require.resolve` finds the CommonJS build; the ESM loader is registered by the .mjs one.
      const api = createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs');
      const tsx = pathToFileURL(api).href;
      const boot = `import(${JSON.stringify(tsx)})
        .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })
        .catch(() => process.exit(1));`;
      w = new Worker(boot, { eval: true });
    } else w = new Worker(entry);
  } catch {
    unavailable = true;
    return undefined;
  }
  w.unref();
  w.on('message', (m: EncodeReply) => {
    answered = true;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if ('error' in m) p.reject(new EncodeError(`encoding a delta file failed: ${m.error}`));
    else p.resolve(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
  });
  const fail = (e: Error): void => {
    if (worker === w) worker = undefined;
    if (!answered && !unavailable) {
      unavailable = true;
      process.emitWarning(
        `cachegate: the delta encoder worker could not start (${e.message}); delta files are encoded on the main thread`,
        { code: 'CACHEGATE_DELTA_WORKER' },
      );
    }
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the delta encoder worker exited (code ${code})`)));
  return w;
}

/** Where deltas are encoded: in the worker, in this thread (no worker here), or none yet. */
export function deltaEncoderMode(): 'worker' | 'in-thread' | 'not started' {
  if (unavailable) return 'in-thread';
  return answered ? 'worker' : 'not started';
}

/** The Parquet bytes of a delta file holding `rows` (see delta-io.ts for its layout). */
export function encodeDeltaOffThread(
  rows: ReadonlyMap<string, OverlayRow>,
  schema: TableSchema,
): Promise<Buffer> {
  return encodeOffThread(deltaColumns(rows, schema), 'parquet');
}

/**
 * A fetched batch, laid out as a delta's columns, as a polars frame built in the worker: the
 * frame crosses back as Arrow IPC, read without decoding (under a millisecond for 10,000 rows).
 * `bytes` is the size of its Arrow buffers, what it holds in memory.
 */
export async function deltaFrameOffThread(
  columns: DeltaColumns,
): Promise<{ df: pl.DataFrame; bytes: number }> {
  const data = await encodeOffThread(columns, 'ipc');
  return { df: pl.readIPC(data), bytes: data.length };
}

function encodeOffThread(columns: DeltaColumns, format: EncodeRequest['format']): Promise<Buffer> {
  worker ??= startWorker();
  const w = worker;
  if (!w) return Promise.resolve(encodeInThread(columns, format));
  const id = nextId++;
  const request: EncodeRequest = { id, columns, format };
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage(request);
  }).catch((e: unknown) => {
    // The worker could not start here (encode in this thread, now and from now on), or it died
    // under this request (this one is encoded here; the next call starts a new worker). An
    // encoding error of the data itself fails here too.
    if (unavailable || !(e instanceof EncodeError)) return encodeInThread(columns, format);
    throw e;
  });
}

function encodeInThread(columns: DeltaColumns, format: EncodeRequest['format']): Buffer {
  const df = deltaFrameOf(columns);
  return format === 'ipc' ? df.writeIPC() : encodeParquet(df);
}
