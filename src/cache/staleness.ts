/**
 * The staleness rule of a cached column, defined once. What "stale" means (hidden by a tombstone,
 * a not-found answer or a truncate; past the TTL) lives in `staleBounds`; the two evaluators below
 * only compare a stamp with those bounds — per cell in JS (small lookups, rows merged with overlay
 * rows) and as a polars expression over a stamp column (large lookups). Keep them side by side:
 * test/cache/staleness.test.ts checks that they agree at every edge.
 */
import pl from 'nodejs-polars';
import type { RowPolicy } from './overlay.js';

/** A stamp is stale when null, at or before `upTo`, or (with a TTL) before `before`. */
export interface StaleBounds {
  /** The row's cut: stamps at or before it are hidden (tombstone, not-found answer, truncate). */
  upTo: number;
  /** `now - ttl`: stamps before it are expired; undefined without a TTL. */
  before: number | undefined;
}

/** The bounds for a row whose cut is `cut` (-1 for base rows, which carry no tombstone). */
export function staleBounds(cut: number, p: RowPolicy): StaleBounds {
  return { upTo: cut, before: p.ttlMs === undefined ? undefined : p.now - p.ttlMs };
}

/** The rule on one cell's stamp (null or undefined: never fetched). */
export function isStale(at: number | null | undefined, b: StaleBounds): boolean {
  return at === null || at === undefined || at <= b.upTo || (b.before !== undefined && at < b.before);
}

/** The same rule on a stamp column, for polars (a null stamp is stale). */
export function staleExpr(at: pl.Expr, b: StaleBounds): pl.Expr {
  const hidden = at.isNull().or(at.ltEq(pl.lit(b.upTo)));
  return b.before === undefined ? hidden : hidden.or(at.lt(pl.lit(b.before)));
}
