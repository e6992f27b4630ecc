/**
 * Compares each configured table with its SQL source (`cachegate check`, and the start-up
 * warnings of `serve`): the source table exists, the ID column and every declared column exist,
 * and each declared type fits what the database delivers. HTTP and module sources have no
 * catalog to read, so they are reported as not checked.
 */
import type { CacheGateConfig, SourceConfig, TableConfig } from '../config/types.js';
import { readCatalog, typeNames } from '../sources/catalog.js';
import { type CatalogConnection, type CatalogTarget, connectCatalog } from '../sources/catalog-connect.js';
import { fitOf } from '../sources/pg-type-map.js';

export interface Finding {
  level: 'error' | 'warning';
  message: string;
}

export interface TableReport {
  table: string;
  /** `postgres public.movies`, `module`, … */
  source: string;
  /** False when the source kind has no catalog (http, module) or there is no source. */
  checked: boolean;
  findings: Finding[];
  /** Columns compared (declared ones found upstream). */
  columns: number;
}

type SqlSource = Extract<SourceConfig, { kind: 'postgres' | 'pglite' }>;

/** Every table's report, in config order; never throws for a database that cannot be reached. */
export async function checkTables(config: CacheGateConfig, only?: string): Promise<TableReport[]> {
  const connections = new Map<string, Promise<CatalogConnection>>();
  const connect = (source: SqlSource): Promise<CatalogConnection> => {
    const target: CatalogTarget =
      source.kind === 'postgres'
        ? { kind: 'postgres', url: source.url }
        : { kind: 'pglite', dataDir: source.dataDir, init: source.init };
    const key = JSON.stringify(target);
    let c = connections.get(key);
    if (c === undefined) {
      c = connectCatalog(target);
      // Reported per table below; not an unhandled rejection meanwhile.
      c.catch(() => {});
      connections.set(key, c);
    }
    return c;
  };
  const reports: TableReport[] = [];
  try {
    for (const [table, cfg] of Object.entries(config.tables)) {
      if (only !== undefined && table !== only) continue;
      reports.push(await checkTable(table, cfg, connect));
    }
  } finally {
    await Promise.allSettled(
      [...connections.values()].map((c) => c.then((conn) => conn.close()).catch(() => {})),
    );
  }
  return reports;
}

async function checkTable(
  table: string,
  cfg: TableConfig,
  connect: (s: SqlSource) => Promise<CatalogConnection>,
): Promise<TableReport> {
  const source = cfg.source;
  if (source === undefined) {
    return { table, source: 'none', checked: false, findings: [], columns: 0 };
  }
  if (source.kind === 'http' || source.kind === 'module') {
    return { table, source: source.kind, checked: false, findings: [], columns: 0 };
  }
  const report: TableReport = {
    table,
    source: `${source.kind} ${source.query === undefined ? `${source.schema ?? ''}${source.schema ? '.' : ''}${source.table ?? table}` : 'query'}`,
    checked: true,
    findings: [],
    columns: 0,
  };
  const error = (message: string) => report.findings.push({ level: 'error', message });
  let upstream: Map<string, string>;
  try {
    const conn = await connect(source);
    upstream = await upstreamColumns(conn, source, table);
  } catch (e) {
    error(e instanceof Error ? e.message : String(e));
    return report;
  }
  if (!upstream.has(source.idColumn) && !(source.query !== undefined && upstream.has('id'))) {
    error(
      `ID column "${source.idColumn}" is not there (columns there: ${[...upstream.keys()].join(', ')}); check source.idColumn`,
    );
  }
  for (const [column, declared] of Object.entries(cfg.columns ?? {})) {
    const pgType = upstream.get(column);
    if (pgType === undefined) {
      error(`column "${column}" is not there (columns there: ${[...upstream.keys()].join(', ')})`);
      continue;
    }
    report.columns += 1;
    const fit = fitOf(pgType, declared);
    if (!fit.ok) error(`column "${column}": ${fit.reason}`);
    else if (fit.warning)
      report.findings.push({ level: 'warning', message: `column "${column}": ${fit.warning}` });
  }
  return report;
}

/** Column name → pg type name, of the source table or of the source query's result. */
async function upstreamColumns(
  conn: CatalogConnection,
  source: SqlSource,
  table: string,
): Promise<Map<string, string>> {
  if (source.query !== undefined) {
    // An empty ID array returns no rows but still describes the result columns.
    const r = await conn.run(source.query, [[]]);
    const fields = r.fields ?? [];
    const names = await typeNames(
      conn.run,
      fields.map((f) => f.dataTypeID),
    );
    return new Map(fields.map((f) => [f.name, names.get(f.dataTypeID) ?? 'unknown']));
  }
  const schema =
    source.schema ?? String((await conn.run('SELECT current_schema() AS s', [])).rows[0]?.['s'] ?? 'public');
  const name = source.table ?? table;
  const [found] = await readCatalog(conn.run, schema, [name]);
  if (found === undefined) {
    throw new Error(
      `source table ${schema}.${name} does not exist on ${conn.upstream}; check source.table and source.schema`,
    );
  }
  return new Map(found.columns.map((c) => [c.name, c.pgType]));
}

/** Text lines for a terminal or a log: one per table, then one per finding. */
export function reportLines(reports: readonly TableReport[]): string[] {
  const lines: string[] = [];
  const width = Math.max(0, ...reports.map((r) => r.table.length));
  const sourceWidth = Math.max(0, ...reports.filter((r) => r.checked).map((r) => r.source.length));
  for (const r of reports) {
    const errors = r.findings.filter((f) => f.level === 'error').length;
    const status = !r.checked
      ? r.source === 'none'
        ? 'not checked: no source'
        : `not checked: ${r.source} sources have no catalog to compare with`
      : errors > 0
        ? `${errors} mismatch${errors === 1 ? '' : 'es'}`
        : `ok (${r.columns} column${r.columns === 1 ? '' : 's'})`;
    lines.push(`${r.table.padEnd(width)}  ${r.checked ? `${r.source.padEnd(sourceWidth)}  ` : ''}${status}`);
    for (const f of r.findings) lines.push(`  ${f.level}: ${f.message}`);
  }
  return lines;
}
