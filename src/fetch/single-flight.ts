/**
 * Single-flight across concurrent callers: an ID+column already being fetched is awaited, not
 * fetched twice. Claims are per table, per ID, per column, released when their batch settles.
 */
/** What an ID-only lookup claims: the row's existence, not any column. */
const ROW = '';

const keysOf = (columns: readonly string[]): readonly string[] => (columns.length === 0 ? [ROW] : columns);

export class InFlight {
  private readonly claims = new Map<string, Promise<void>>();

  private static key(table: string, id: string, column: string): string {
    return `${table}\u0000${id}\u0000${column}`;
  }

  /**
   * Splits `missing` into what this caller must fetch (and now owns) and the promises of
   * fetches already running elsewhere that cover the rest.
   */
  claim(
    table: string,
    missing: ReadonlyMap<string, readonly string[]>,
    done: Promise<void>,
  ): { mine: Map<string, string[]>; others: Set<Promise<void>> } {
    const mine = new Map<string, string[]>();
    const others = new Set<Promise<void>>();
    for (const [id, cols] of missing) {
      const own: string[] = [];
      for (const c of keysOf(cols)) {
        const k = InFlight.key(table, id, c);
        const running = this.claims.get(k);
        if (running) others.add(running);
        else {
          this.claims.set(k, done);
          own.push(c);
        }
      }
      if (own.length > 0)
        mine.set(
          id,
          own.filter((c) => c !== ROW),
        );
    }
    return { mine, others };
  }

  release(table: string, ids: readonly string[], columns: readonly string[]): void {
    for (const id of ids) for (const c of keysOf(columns)) this.claims.delete(InFlight.key(table, id, c));
  }
}
