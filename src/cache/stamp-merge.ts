/**
 * The merge-on-read rule (overlay.ts: newest stamp wins per (ID, column); `_cg_ok`, `_cg_nf`,
 * `_cg_del` keep their newest) as polars lazy queries over delta files and parts, so compaction
 * merges rows in polars' thread pool instead of turning them into JS objects on the event loop.
 * overlay.ts and overlay-merge.ts hold the same rule for the JS path; test/cache/compaction.test.ts checks that
 * both give the same answers.
 *
 * Building a query costs time on the event loop too: creating one nodejs-polars expression
 * takes about half a millisecond (measured: 1,000 × `pl.col('x')` in 570 ms), and a merge of
 * seven columns builds hundreds. So the builders below yield to the loop between columns.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { dtypeOf } from './column-types.js';
import { DEL_COL, NF_COL, OK_COL } from './delta-io.js';
import { type TableSchema, tsCol, typeOf } from './frames.js';
import type { FileEntry } from './manifest.js';
import type { RowPolicy } from './overlay.js';
import { yieldToLoop } from './part-io.js';

/** Order of a row among those merged: ties of stamps go to the later one (as `mergeRow`). */
export const SEQ_COL = '_cg_seq';
const CUT_COL = '_cg_cut';
/** Whether a merged row still has a visible value (as `mergeOverlaid` in overlay-merge.ts decides it). */
export const LIVE_COL = '_cg_live';
/** Whether a merged row with no visible value is a not-found answer still valid (`notFoundStill`). */
export const NOT_FOUND_COL = '_cg_nf_still';

const FLAGS = [OK_COL, NF_COL, DEL_COL] as const;

/** Run this long at most between yields to the event loop while building a query. */
const SLICE_MS = 4;

/** Yields to the event loop once the current slice of work has run past SLICE_MS. */
class Slicer {
  private start = performance.now();

  async tick(): Promise<void> {
    if (performance.now() - this.start < SLICE_MS) return;
    await yieldToLoop();
    this.start = performance.now();
  }
}

/** The columns of the merge shape, in order (vertical concatenation needs one order). */
function shapeColumns(columns: readonly string[]): string[] {
  return ['id', ...columns, ...columns.map(tsCol), ...FLAGS, SEQ_COL];
}

/**
 * The expressions that put rows in merge shape: id, each of `columns` (typed by `schema`,
 * `string` when untyped, as delta files store them), its stamp and the three row stamps.
 * Columns the frame lacks (`have`) are typed nulls.
 */
async function shapeExprs(
  have: readonly string[],
  columns: readonly string[],
  schema: TableSchema,
  slicer: Slicer,
): Promise<pl.Expr[]> {
  const present = new Set(have);
  const exprs: pl.Expr[] = [pl.col('id')];
  for (const c of columns) {
    const dtype = dtypeOf(typeOf(schema, c) ?? 'string');
    exprs.push((present.has(c) ? pl.col(c) : pl.lit(null)).cast(dtype).alias(c));
    await slicer.tick();
  }
  for (const c of [...columns.map(tsCol), ...FLAGS]) {
    exprs.push((present.has(c) ? pl.col(c) : pl.lit(null)).cast(pl.Float64).alias(c));
    await slicer.tick();
  }
  return exprs;
}

/**
 * The committed deltas in merge shape, in commit order, as one query; `seq` is the row's
 * position in that order, so later deltas win ties. Each nodejs-polars call costs about a
 * millisecond on the event loop, so the expressions are built once per distinct set of columns
 * (most deltas share one) and the loop yields between slices of deltas.
 */
export async function scanDeltas(
  dir: string,
  deltas: readonly FileEntry[],
  columns: readonly string[],
  schema: TableSchema,
): Promise<pl.LazyDataFrame> {
  const slicer = new Slicer();
  const shapes = new Map<string, pl.Expr[]>();
  const frames: pl.LazyDataFrame[] = [];
  for (const d of deltas) {
    const lf = pl.scanParquet(path.join(dir, d.file));
    const have = lf.columns;
    const key = have.join('\u0000');
    let exprs = shapes.get(key);
    if (!exprs) {
      exprs = await shapeExprs(have, columns, schema, slicer);
      shapes.set(key, exprs);
    }
    frames.push(lf.select(...exprs));
    await slicer.tick();
  }
  const all = frames.length === 1 ? frames[0]! : pl.concat(frames, { how: 'vertical', rechunk: false });
  return all.withRowIndex(SEQ_COL, 1).withColumns(pl.col(SEQ_COL).cast(pl.Int64));
}

/** The data columns the delta files hold (their footers only). */
export function deltaFileColumns(dir: string, deltas: readonly FileEntry[]): string[] {
  const out = new Set<string>();
  for (const d of deltas) {
    for (const c of pl.scanParquet(path.join(dir, d.file)).columns) {
      if (c !== 'id' && !c.startsWith('_cg_')) out.add(c);
    }
  }
  return [...out];
}

/** One row per ID: for each column the value with the newest stamp (ties: highest seq). */
async function mergeById(
  frames: readonly pl.LazyDataFrame[],
  columns: readonly string[],
): Promise<pl.LazyDataFrame> {
  const slicer = new Slicer();
  const all = frames.length === 1 ? frames[0]! : pl.concat([...frames], { how: 'vertical', rechunk: false });
  const aggs: pl.Expr[] = [];
  for (const c of columns) {
    const at = pl.col(tsCol(c));
    aggs.push(pl.col(c).filter(at.eq(at.max())).last().alias(c), at.max().alias(tsCol(c)));
    await slicer.tick();
  }
  for (const f of FLAGS) aggs.push(pl.col(f).max().alias(f));
  aggs.push(pl.col(SEQ_COL).max().alias(SEQ_COL));
  await slicer.tick();
  // Every caller concatenates in seq order, and polars keeps row order within each group, so
  // `last()` is the latest row: no sort (a copy of every row) is needed.
  return all
    .groupBy('id')
    .agg(...aggs)
    .select(...shapeColumns(columns));
}

/**
 * The delta rows (merge shape, in seq order) merged into one row per ID. Most IDs are in one
 * delta only (always, in a cold fill): those rows pass as they are, and only the IDs found in
 * several deltas go through the group-by, whose per-group filters are polars' slow path.
 */
export async function mergeDeltaRows(
  all: pl.LazyDataFrame,
  columns: readonly string[],
): Promise<pl.LazyDataFrame> {
  const repeated = pl.col('id').isDuplicated();
  const merged = await mergeById([all.filter(repeated)], columns);
  return pl.concat([all.filter(repeated.not()).select(...shapeColumns(columns)), merged], {
    how: 'vertical',
    rechunk: false,
  });
}

const BASE_SUFFIX = '_cg_base';
const IN_BASE = '_cg_in_base';

/**
 * Merged delta rows (one per ID, merge shape) laid over the base rows and the not-found answers
 * of the same IDs, by joins rather than a group-by: per column the delta's value wins when its
 * stamp is at least the base's (a tie goes to the delta, the later write); a base row counts as
 * seen (`_cg_ok` 0, as lookups read it), so it stays unless a tombstone, a not-found answer or a
 * truncate hides it.
 */
export async function overlayOnBase(
  deltas: pl.LazyDataFrame,
  base: pl.LazyDataFrame,
  notFound: pl.LazyDataFrame,
  notFoundAt: string,
  columns: readonly string[],
): Promise<pl.LazyDataFrame> {
  const slicer = new Slicer();
  const baseRows = base.select(
    pl.col('id'),
    ...columns.flatMap((c) => [pl.col(c), pl.col(tsCol(c))]),
    pl.lit(true).alias(IN_BASE),
  );
  const joined = deltas
    .join(baseRows, { on: 'id', how: 'left', suffix: BASE_SUFFIX })
    .join(notFound.select(pl.col('id'), pl.col(notFoundAt).alias(`${NF_COL}${BASE_SUFFIX}`)), {
      on: 'id',
      how: 'left',
    });
  const exprs: pl.Expr[] = [pl.col('id')];
  const stamps: pl.Expr[] = [];
  for (const c of columns) {
    const at = pl.col(tsCol(c));
    const baseAt = pl.col(`${tsCol(c)}${BASE_SUFFIX}`);
    const fromDelta = at.isNotNull().and(baseAt.isNull().or(at.gtEq(baseAt)));
    exprs.push(
      pl
        .when(fromDelta)
        .then(pl.col(c))
        .otherwise(pl.col(`${c}${BASE_SUFFIX}`))
        .alias(c),
    );
    stamps.push(pl.when(fromDelta).then(at).otherwise(baseAt).alias(tsCol(c)));
    await slicer.tick();
  }
  const seen = pl.when(pl.col(IN_BASE)).then(pl.lit(0)).otherwise(pl.lit(null)).cast(pl.Float64);
  exprs.push(
    ...stamps,
    pl.maxHorizontal([pl.col(OK_COL), seen]).alias(OK_COL),
    pl.maxHorizontal([pl.col(NF_COL), pl.col(`${NF_COL}${BASE_SUFFIX}`)]).alias(NF_COL),
    pl.col(DEL_COL),
    pl.col(SEQ_COL),
  );
  await slicer.tick();
  return joined.select(...exprs);
}

/**
 * Applies the row policy to merged rows: the hiding stamp (`cutOf`), whether the row is live
 * (as `mergeOverlaid` in overlay-merge.ts decides it), whether it is a still-valid not-found answer (`notFoundStill`), and every value
 * fetched at or before the cut nulled with its stamp.
 */
export async function applyPolicy(
  merged: pl.LazyDataFrame,
  columns: readonly string[],
  p: RowPolicy,
): Promise<pl.LazyDataFrame> {
  const slicer = new Slicer();
  const cut = pl.col(CUT_COL);
  const after = (c: string): pl.Expr => pl.col(c).gt(cut).fillNull(false);
  const withCut = merged.withColumns(
    pl
      .maxHorizontal([pl.col(DEL_COL), pl.col(NF_COL), pl.lit(p.truncatedAt ?? -1), pl.lit(-1)])
      .alias(CUT_COL),
  );
  const visible: pl.Expr[] = [after(OK_COL)];
  const masked: pl.Expr[] = [];
  for (const c of columns) {
    const fresh = after(tsCol(c));
    visible.push(fresh);
    masked.push(
      pl.when(fresh).then(pl.col(c)).otherwise(pl.lit(null)).alias(c),
      pl
        .when(fresh)
        .then(pl.col(tsCol(c)))
        .otherwise(pl.lit(null))
        .alias(tsCol(c)),
    );
    await slicer.tick();
  }
  const nf = pl.col(NF_COL);
  const nfStill = nf
    .gt(pl.col(DEL_COL).fillNull(-1))
    .and(nf.gt(p.truncatedAt ?? -1))
    .and(pl.lit(p.now).minus(nf).lt(p.notFoundTtlMs))
    .fillNull(false);
  await slicer.tick();
  return withCut.withColumns(
    pl.anyHorizontal(visible).alias(LIVE_COL),
    nfStill.alias(NOT_FOUND_COL),
    ...masked,
  );
}
