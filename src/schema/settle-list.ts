/**
 * The entries of a list field: each value, or its own error (graphql-js completes an Error entry
 * as a null with that error at the entry's path). When every entry failed with one and the same
 * error — a whole lookup refused, as LIMIT_EXCEEDED is — it is raised once for the field instead
 * of once per entry, so a refused 5,000-ID query gives one error, not 5,000.
 */
export async function settleList<T>(entries: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(entries);
  const first = settled[0];
  if (
    settled.length > 1 &&
    first?.status === 'rejected' &&
    settled.every((s) => s.status === 'rejected' && s.reason === first.reason)
  ) {
    throw first.reason;
  }
  // Error entries are what graphql-js expects in a list; the element type cannot say so.
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : toError(s.reason))) as T[];
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
