/**
 * Tells V8 how much native memory a polars frame holds. nodejs-polars does not report its
 * allocations, so V8 sees each frame as a small JS object and collects a dropped one only when
 * its own heap asks for a collection: with a lean JS heap that is seldom, and the frames of
 * parts and compactions long gone stayed allocated (a 3,000,000-row fill grew to ~5 GB).
 *
 * Each large frame is paired with an ArrayBuffer of its decoded size, which V8 counts as external
 * memory and weighs in when it schedules collections; the buffer lives exactly as long as the
 * frame (a WeakMap entry). Its pages are never written: a buffer this large is a fresh zeroed
 * mapping, so it costs address space, not resident memory.
 */
import pl from 'nodejs-polars';

/** Frames smaller than this are not worth a buffer. */
const MIN_BYTES = 1 << 20;

const weights = new WeakMap<pl.DataFrame, ArrayBuffer>();

/**
 * What a frame holds in memory, estimated: 9 bytes a row per fixed-width column (value and
 * validity), and per text column its bytes plus a 16-byte view, measured on up to 1,000 rows.
 * The part's file size said nothing about it: repetitive text compresses 100× (a 780,000-row
 * part of 2.2 MB took 139–244 MB once read), so the memory budget held far more than its size.
 */
export function frameBytes(df: pl.DataFrame): number {
  const n = df.height;
  if (n === 0) return 0;
  const dtypes = df.dtypes;
  const text = df.columns.filter((_, i) => dtypes[i]!.equals(pl.String));
  let perRow = 9 * (df.width - text.length);
  if (text.length > 0) {
    const sample = df.select(...text).head(Math.min(n, 1_000));
    for (const c of text) {
      let bytes = 0;
      for (const v of sample.getColumn(c).toArray() as unknown[])
        if (typeof v === 'string') bytes += Buffer.byteLength(v);
      perRow += bytes / sample.height + 16;
    }
  }
  return Math.ceil(perRow * n);
}

/** Pairs `df` with `bytes` (by default its decoded size) of external memory for V8; returns `df`. */
export function weigh(df: pl.DataFrame, bytes = frameBytes(df)): pl.DataFrame {
  if (bytes >= MIN_BYTES && !weights.has(df)) weights.set(df, new ArrayBuffer(bytes));
  return df;
}

/** The external memory `df` is declared with (0 if none): for tests and diagnostics. */
export function weightOf(df: pl.DataFrame): number {
  return weights.get(df)?.byteLength ?? 0;
}
