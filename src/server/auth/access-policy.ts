/**
 * Which role each root field needs (DESIGN §4 "Access"). Deny by default: a root field added
 * later is operator-only until it is listed here for readers.
 */
import type { Role } from '../../config/types.js';

export type RootKind = 'Query' | 'Mutation' | 'Subscription';

/** Generic Query fields readers may use, besides each table's own list and single fields. */
const READER_QUERIES = new Set(['rows', 'job']);

/**
 * The role `field` needs with these `args`. `tableFields` holds every table's list and single
 * Query field. `fetchProgress(jobId)` follows one job whose (random) id the reader was given;
 * by table or for all tables it shows every client's IDs, so it is the operator's.
 */
export function requiredRole(
  kind: RootKind,
  field: string,
  args: Readonly<Record<string, unknown>>,
  tableFields: ReadonlySet<string>,
): Role {
  switch (kind) {
    case 'Query':
      return READER_QUERIES.has(field) || tableFields.has(field) ? 'reader' : 'operator';
    case 'Subscription':
      return field === 'fetchProgress' && args['jobId'] != null ? 'reader' : 'operator';
    case 'Mutation':
      return 'operator';
  }
}
