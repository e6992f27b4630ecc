/**
 * Stamps for tombstones and truncates: strictly after every stamp this process issued, so an
 * invalidate always wins over a fetch that landed in the same millisecond before it.
 */
let last = 0;

export function nextStamp(): number {
  const now = Date.now();
  last = now > last ? now : last + 0.001;
  return last;
}
