/**
 * The merge-on-read rule (overlay.ts: newest stamp wins per (ID, column); `_cg_ok`, `_cg_nf`,
 * `_cg_del` keep their newest) as polars lazy queries over delta files and parts, so compaction
 * merges rows in polars' thread pool instead of turning them into JS objects on the event loop.
 * overlay.ts holds the same rule for the JS path; test/cache/merge-on-read.test.ts checks that
 * both give the same answers.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { dtypeOf } from './column-types.js';
import { DEL_COL, NF_COL, OK_COL } from './delta-io.js';
import { type TableSchema, tsCol, typeOf } from './frames.js';
import type { FileEntry } from './manifest.js';
import type { RowPolicy } from './overlay.js';

/** Order of a row among those merged: ties of stamps go to the later one (as `mergeRow`). */
export const SEQ_COL = '_cg_seq';
const CUT_COL = '_cg_cut';
/** Whether a merged row still has a visible value (`isLive`). */
export const LIVE_COL = '_cg_live';
/** Whether a merged row with no visible value is a not-found answer still valid (`isNotFound`). */
export const NOT_FOUND_COL = '_cg_nf_still';

const FLAGS = [OK_COL, NF_COL, DEL_COL] as const;

/** The columns of the merge shape, in order (vertical concatenation needs one order). */
export function shapeColumns(columns: readonly string[]): string[] {
  return ['id', ...columns, ...columns.map(tsCol), ...FLAGS, SEQ_COL];
}

/**
 * Rows in merge shape: id, each of `columns` (typed by `schema`, `string` when untyped, as
 * delta files store them), its stamp, the three row stamps and the order `seq`. Columns the
 * frame lacks are typed nulls.
 */
export function mergeShape(
  lf: pl.LazyDataFrame,
  have: readonly string[],
  columns: readonly string[],
  schema: TableSchema,
  seq: number,
): pl.LazyDataFrame {
  const present = new Set(have);
  const exprs: pl.Expr[] = [pl.col('id')];
  for (const c of columns) {
    const dtype = dtypeOf(typeOf(schema, c) ?? 'string');
    exprs.push((present.has(c) ? pl.col(c) : pl.lit(null)).cast(dtype).alias(c));
  }
  for (const c of [...columns.map(tsCol), ...FLAGS]) {
    exprs.push((present.has(c) ? pl.col(c) : pl.lit(null)).cast(pl.Float64).alias(c));
  }
  exprs.push(pl.lit(seq).cast(pl.Int32).alias(SEQ_COL));
  return lf.select(...exprs);
}

/** The committed deltas, in commit order, in merge shape (seq 1, 2, …: later deltas win ties). */
export function scanDeltas(
  dir: string,
  deltas: readonly FileEntry[],
  columns: readonly string[],
  schema: TableSchema,
): pl.LazyDataFrame[] {
  return deltas.map((d, i) => {
    const lf = pl.scanParquet(path.join(dir, d.file));
    return mergeShape(lf, lf.columns, columns, schema, i + 1);
  });
}

/** The data columns the delta files hold (their footers only). */
export function deltaColumns(dir: string, deltas: readonly FileEntry[]): string[] {
  const out = new Set<string>();
  for (const d of deltas) {
    for (const c of pl.scanParquet(path.join(dir, d.file)).columns) {
      if (c !== 'id' && !c.startsWith('_cg_')) out.add(c);
    }
  }
  return [...out];
}

/** One row per ID: for each column the value with the newest stamp (ties: highest seq). */
export function mergeById(frames: readonly pl.LazyDataFrame[], columns: readonly string[]): pl.LazyDataFrame {
  const all = frames.length === 1 ? frames[0]! : pl.concat([...frames], { how: 'vertical', rechunk: false });
  const aggs: pl.Expr[] = [];
  for (const c of columns) {
    const at = pl.col(tsCol(c));
    aggs.push(pl.col(c).filter(at.eq(at.max())).last().alias(c), at.max().alias(tsCol(c)));
  }
  for (const f of FLAGS) aggs.push(pl.col(f).max().alias(f));
  aggs.push(pl.col(SEQ_COL).max().alias(SEQ_COL));
  // Sorted by seq so that `last()` within a group is the latest row (group order is row order).
  return all
    .sort(SEQ_COL)
    .groupBy('id')
    .agg(...aggs)
    .select(...shapeColumns(columns));
}

/**
 * Applies the row policy to merged rows: the hiding stamp (`cutOf`), whether the row is live
 * (`isLive`), whether it is a still-valid not-found answer (`isNotFound`), and every value
 * fetched at or before the cut nulled with its stamp.
 */
export function applyPolicy(
  merged: pl.LazyDataFrame,
  columns: readonly string[],
  p: RowPolicy,
): pl.LazyDataFrame {
  const cut = pl.col(CUT_COL);
  const after = (c: string): pl.Expr => pl.col(c).gt(cut).fillNull(false);
  const withCut = merged.withColumns(
    pl
      .maxHorizontal([pl.col(DEL_COL), pl.col(NF_COL), pl.lit(p.truncatedAt ?? -1), pl.lit(-1)])
      .alias(CUT_COL),
  );
  const live = pl.anyHorizontal([after(OK_COL), ...columns.map((c) => after(tsCol(c)))]);
  const nf = pl.col(NF_COL);
  const nfStill = nf
    .gt(pl.col(DEL_COL).fillNull(-1))
    .and(nf.gt(p.truncatedAt ?? -1))
    .and(pl.lit(p.now).minus(nf).lt(p.notFoundTtlMs))
    .fillNull(false);
  const masked = columns.flatMap((c) => [
    pl
      .when(after(tsCol(c)))
      .then(pl.col(c))
      .otherwise(pl.lit(null))
      .alias(c),
    pl
      .when(after(tsCol(c)))
      .then(pl.col(tsCol(c)))
      .otherwise(pl.lit(null))
      .alias(tsCol(c)),
  ]);
  return withCut.withColumns(live.alias(LIVE_COL), nfStill.alias(NOT_FOUND_COL), ...masked);
}
