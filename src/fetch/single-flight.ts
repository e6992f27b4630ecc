/**
 * Single-flight across concurrent callers: an ID+column already being fetched is awaited, not
 * fetched twice. Each claim belongs to one batch (a `Flight`), and only that flight removes it:
 * a release by key alone let a finished job delete a claim another job had taken since, so a
 * third caller fetched the same ID again. Waiters await the flight of the batch holding their
 * IDs, so they resume when that batch is in the store, not when the whole job ends.
 */
/**
 * Most claims held at once (one per ID per batch that fetches it). A claim costs one entry in a
 * per-table Map (the ID string is the caller's, the Flight is shared by the whole batch): about
 * 40 bytes, so the bound keeps claims near 40 MB and far below a Map's 2^24-entry limit (four
 * warms of 1M IDs × 7 columns as per-column keys overflowed it). Past the bound a caller fetches
 * the rest of its IDs without claiming them: a concurrent caller may then fetch them twice, which
 * costs upstream work but never fails or hangs.
 */
export const MAX_CLAIMS = 1_000_000;

/** One batch being fetched: the owner token of its claims, and what waiters await. */
export class Flight {
  readonly done: Promise<void>;
  /** Tokens of the callers that wait for this flight (trace links of the batch span). */
  readonly joiners: unknown[] = [];
  private resolve!: () => void;

  /** `columns` empty: an ID-only batch, which only learns whether each row exists. */
  constructor(readonly columns: readonly string[]) {
    this.done = new Promise<void>((r) => {
      this.resolve = r;
    });
  }

  covers(column: string): boolean {
    return this.columns.includes(column);
  }

  /** Never rejects: a waiter re-reads the store and sees for itself what landed. */
  settle(): void {
    this.resolve();
  }
}

export interface PlannedClaim {
  ids: readonly string[];
  columns: readonly string[];
}

export interface Claimed<B extends PlannedClaim> {
  /** What this caller must fetch, one flight per batch; settle each with `release`. */
  batches: Array<{ batch: B; flight: Flight }>;
  /** Flights of other callers that cover the rest (each listed once). */
  waits: Promise<void>[];
  /** IDs of `batches` fetched without a claim because MAX_CLAIMS was reached. */
  unclaimed: number;
}

type Entry = Flight | Flight[];

function someClaimed(claims: ReadonlyMap<string, Entry>, missing: ReadonlyMap<string, unknown>): boolean {
  for (const id of missing.keys()) if (claims.has(id)) return true;
  return false;
}

export class InFlight {
  private readonly tables = new Map<string, Map<string, Entry>>();
  private count = 0;

  constructor(private readonly maxClaims = MAX_CLAIMS) {}

  /** Claims held now (ID × flight). */
  get size(): number {
    return this.count;
  }

  /**
   * Splits `missing` into what others already fetch (their flights, to await) and what this
   * caller fetches: `plan` groups the latter into batches, each claimed under its own flight.
   * Runs synchronously, so nobody sees a half-made claim; if it throws, every claim it made is
   * removed before the error propagates (a claim left behind would hang its waiters forever).
   */
  claim<B extends PlannedClaim>(
    table: string,
    missing: ReadonlyMap<string, readonly string[]>,
    plan: (mine: ReadonlyMap<string, readonly string[]>) => B[],
    caller?: unknown,
  ): Claimed<B> {
    const claims = this.tables.get(table);
    // None of these IDs in flight (the common case, also for the next window of a large job
    // whose earlier batches are still claimed): everything is ours, without a copy.
    const overlap = claims !== undefined && someClaimed(claims, missing);
    const mine = overlap ? new Map<string, readonly string[]>() : missing;
    const waits = new Set<Promise<void>>();
    if (overlap) this.split(claims, missing, mine as Map<string, readonly string[]>, waits, caller);
    const batches = plan(mine).map((batch) => ({ batch, flight: new Flight(batch.columns) }));
    let unclaimed = 0;
    try {
      for (const { batch, flight } of batches) {
        for (const id of batch.ids) {
          if (this.count >= this.maxClaims) unclaimed++;
          else this.add(table, id, flight);
        }
      }
    } catch (e) {
      for (const { batch, flight } of batches) this.release(table, batch.ids, flight);
      throw e;
    }
    return { batches, waits: [...waits], unclaimed };
  }

  /** Puts into `mine` what no flight covers, and into `waits` the flights that cover the rest. */
  private split(
    claims: ReadonlyMap<string, Entry>,
    missing: ReadonlyMap<string, readonly string[]>,
    mine: Map<string, readonly string[]>,
    waits: Set<Promise<void>>,
    caller: unknown,
  ): void {
    const wait = (f: Flight): void => {
      if (waits.has(f.done)) return;
      waits.add(f.done);
      if (caller !== undefined) f.joiners.push(caller);
    };
    for (const [id, cols] of missing) {
      const entry = claims.get(id);
      if (entry === undefined) {
        mine.set(id, cols);
        continue;
      }
      const flights = Array.isArray(entry) ? entry : [entry];
      if (cols.length === 0) {
        // Any batch fetching this ID learns whether its row exists.
        wait(flights[0]!);
        continue;
      }
      const own: string[] = [];
      for (const c of cols) {
        const f = flights.find((x) => x.covers(c));
        if (f) wait(f);
        else own.push(c);
      }
      if (own.length > 0) mine.set(id, own);
    }
  }

  /**
   * Removes the claims `flight` holds on `ids` (never another flight's) and resumes its waiters.
   * Idempotent.
   */
  release(table: string, ids: readonly string[], flight: Flight): void {
    const claims = this.tables.get(table);
    if (claims) {
      for (const id of ids) {
        const entry = claims.get(id);
        if (entry === flight) {
          claims.delete(id);
          this.count--;
        } else if (Array.isArray(entry)) {
          const i = entry.indexOf(flight);
          if (i < 0) continue;
          entry.splice(i, 1);
          this.count--;
          claims.set(id, entry.length === 1 ? entry[0]! : entry);
        }
      }
      if (claims.size === 0) this.tables.delete(table);
    }
    flight.settle();
  }

  private add(table: string, id: string, flight: Flight): void {
    let claims = this.tables.get(table);
    if (!claims) {
      claims = new Map();
      this.tables.set(table, claims);
    }
    const entry = claims.get(id);
    // One object per ID in the common case; an array only when batches of different jobs
    // fetch different columns of the same ID.
    if (entry === undefined) claims.set(id, flight);
    else if (Array.isArray(entry)) entry.push(flight);
    else claims.set(id, [entry, flight]);
    this.count++;
  }
}
