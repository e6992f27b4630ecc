/**
 * The peers of the warm-lookup benchmark, reading the same part and delta files the manifest
 * names: DuckDB (`read_parquet`) and raw polars (`scanParquet` + semi join). With deltas, both
 * merge as the store does: for each ID the delta row with the newest fetch stamp wins over the
 * base row (the bench's deltas rewrite all columns at once, so the title's stamp stands for all
 * three; the store merges per column, which is more work).
 */
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { tsCol } from '../../src/cache/frames.js';
import type { Manifest } from '../../src/cache/manifest.js';

export interface Peer {
  lookup(ids: string[], columns: string[]): Promise<number>;
  close(): void;
}

const sqlList = (files: string[]): string =>
  `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;

export async function duckdbPeer(dir: string, m: Manifest): Promise<Peer> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  const parts = sqlList(m.parts.map((p) => path.join(dir, p.file)));
  const deltas = sqlList(m.deltas.map((d) => path.join(dir, d.file)));
  return {
    async lookup(ids, columns) {
      const cols = columns.join(', ');
      const stamp = tsCol(columns[0]!);
      const sql =
        m.deltas.length === 0
          ? `SELECT id, ${cols} FROM read_parquet(${parts}) WHERE id IN (SELECT unnest($ids))`
          : `WITH rows AS (
               SELECT id, ${cols}, ${stamp} AS t FROM read_parquet(${parts}) WHERE id IN (SELECT unnest($ids))
               UNION ALL
               SELECT id, ${cols}, ${stamp} AS t FROM read_parquet(${deltas}, union_by_name = true) WHERE id IN (SELECT unnest($ids)))
             SELECT id, ${columns.map((c) => `arg_max(${c}, t) AS ${c}`).join(', ')} FROM rows GROUP BY id`;
      const reader = await conn.runAndReadAll(sql, { ids: listValue(ids) }, { ids: LIST(VARCHAR) });
      return reader.currentRowCount;
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export function polarsPeer(dir: string, m: Manifest): Peer {
  return {
    async lookup(ids, columns) {
      const stamp = tsCol(columns[0]!);
      const idFrame = pl.DataFrame([pl.Series('id', ids, pl.String)]).lazy();
      const scan = (files: string[]): pl.LazyDataFrame => {
        const scans = files.map((f) => pl.scanParquet(path.join(dir, f)).select('id', ...columns, stamp));
        return scans.length === 1 ? scans[0]! : pl.concat(scans, { how: 'vertical' });
      };
      const base = scan(m.parts.map((p) => p.file)).join(idFrame, { on: 'id', how: 'semi' });
      if (m.deltas.length === 0) return (await base.collect()).height;
      const deltas = scan(m.deltas.map((d) => d.file)).join(idFrame, { on: 'id', how: 'semi' });
      const merged = pl
        .concat([base, deltas], { how: 'vertical' })
        .sort(stamp)
        .unique({ subset: 'id', keep: 'last' })
        .select('id', ...columns);
      return (await merged.collect()).height;
    },
    close() {},
  };
}
