/**
 * The entries of a list field: each value, or its own error (graphql-js completes an Error entry
 * as a null with that error at the entry's path). Never throws for the field: the root list
 * fields are non-null, so one error raised for a whole field would null `data` — every other
 * field, alias and table of the response with it (DESIGN §4: one table's failure never does).
 * An error shared by many entries (one failed batch, one refused lookup) is reported at each
 * entry's path; the IDs-per-list limit bounds how many that can be.
 */
export async function settleList<T>(entries: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(entries);
  // Error entries are what graphql-js expects in a list; the element type cannot say so.
  return settled.map((s) => (s.status === 'fulfilled' ? s.value : toError(s.reason))) as T[];
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
