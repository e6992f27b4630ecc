/**
 * Schema evolution of one table: the types of columns that rows not yet committed introduced
 * (a new column, or a column seen only as nulls so far and now typed by a value), merged into
 * the committed schema when their delta is committed. A column another writer typed otherwise
 * first is a SchemaConflict for this flush: a cache may drop rows (they are fetched again); it
 * must not store them mistyped.
 */
import { type ColumnSpec, inferType, type LogicalType } from './column-types.js';
import { type TableSchema, typeOf } from './frames.js';
import type { Manifest } from './manifest.js';

export class SchemaConflict extends Error {}

export interface SchemaBatch {
  rows: ReadonlyArray<Record<string, unknown>>;
  columns: readonly string[];
}

/** The schema part a flush commits: column types, and the columns still seen only as nulls. */
export interface SchemaChange {
  types: TableSchema;
  untyped: readonly string[];
}

type Committed = Pick<Manifest, 'schema'> & { untyped?: string[] | undefined };

export class PendingSchema {
  private types: TableSchema = {};
  private untyped = new Set<string>();

  constructor(private readonly declared: Record<string, ColumnSpec> | undefined) {}

  /** The committed schema plus the pending types. */
  effective(m: Committed): TableSchema {
    return { ...m.schema, ...this.types };
  }

  /**
   * The type of each column of the batch: the declared type, the type already known, or the
   * type of its first non-null value. A value of another type is then refused by coerceColumn.
   */
  typesFor(m: Committed, batch: SchemaBatch): Record<string, LogicalType> {
    const schema = this.effective(m);
    const untyped = new Set([...(m.untyped ?? []), ...this.untyped]);
    const out: Record<string, LogicalType> = {};
    for (const c of batch.columns) {
      const declared = this.declared?.[c]?.type;
      const inferred = firstType(batch, c);
      const have = typeOf(schema, c);
      // A column seen only as nulls gets its type from the first non-null value later on.
      out[c] =
        have !== undefined && !(untyped.has(c) && (declared ?? inferred))
          ? have
          : (declared ?? inferred ?? 'string');
    }
    return out;
  }

  /** Records the types a batch (already checked) brings. */
  note(m: Committed, batch: SchemaBatch, types: Record<string, LogicalType>): void {
    const schema = this.effective(m);
    const untyped = new Set([...(m.untyped ?? []), ...this.untyped]);
    for (const c of batch.columns) {
      if (Object.hasOwn(m.schema, c) && !untyped.has(c)) continue;
      if (this.declared?.[c] !== undefined || firstType(batch, c) !== undefined) {
        this.types[c] = types[c]!;
        this.untyped.delete(c);
      } else if (!Object.hasOwn(schema, c)) {
        this.types[c] = types[c]!;
        this.untyped.add(c);
      }
    }
  }

  snapshot(): SchemaChange {
    return { types: { ...this.types }, untyped: [...this.untyped] };
  }

  /** Forgets what a committed version now holds. */
  adopt(m: Committed): void {
    for (const c of Object.keys(this.types)) {
      if (m.schema[c] === this.types[c] && !m.untyped?.includes(c)) delete this.types[c];
    }
    for (const c of this.untyped) if (Object.hasOwn(m.schema, c)) this.untyped.delete(c);
  }

  reset(): void {
    this.types = {};
    this.untyped.clear();
  }
}

/** `latest` with a flush's schema change applied; throws SchemaConflict. */
export function applySchema(
  table: string,
  latest: Committed,
  change: SchemaChange,
): { schema: TableSchema; untyped?: string[] } {
  const schema = { ...latest.schema };
  const untyped = new Set(latest.untyped ?? []);
  for (const [c, t] of Object.entries(change.types)) {
    const have = typeOf(schema, c);
    if (have === undefined || untyped.has(c)) schema[c] = t;
    else if (have !== t && !change.untyped.includes(c)) {
      throw new SchemaConflict(
        `table "${table}": column "${c}" was typed ${have} by another writer, this process has ${t}; these rows are dropped and will be fetched again`,
      );
    }
  }
  for (const c of Object.keys(change.types)) if (!change.untyped.includes(c)) untyped.delete(c);
  for (const c of change.untyped) if (!Object.hasOwn(latest.schema, c) || untyped.has(c)) untyped.add(c);
  return untyped.size > 0 ? { schema, untyped: [...untyped] } : { schema };
}

function firstType(batch: SchemaBatch, c: string): LogicalType | undefined {
  for (const r of batch.rows) {
    const t = inferType(r[c]);
    if (t) return t;
  }
  return undefined;
}
