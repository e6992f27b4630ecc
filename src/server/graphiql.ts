/**
 * GraphiQL, served offline: the page, its scripts, styles and editor workers all come from
 * `@graphql-yoga/render-graphiql` (one self-contained HTML answer, no CDN), opening on a query
 * over the configured tables.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';
import type { CacheGateConfig } from '../config/types.js';
import { planSchema, type TablePlan } from '../schema/index.js';

const IDS = '["1", "2", "3"]';
const gzipAsync = promisify(gzip);

function scalarFields(plan: TablePlan, max: number): string[] {
  return plan.fields
    .filter((f) => f.kind === 'column')
    .slice(0, max)
    .map((f) => f.name);
}

/** A JSON column of `plan` (its configured name), for a `field(path:)` example; none without one. */
function jsonColumn(plan: TablePlan): string | undefined {
  return plan.fields.find((f) => f.kind === 'column' && f.type === 'JSON')?.column;
}

export function defaultQuery(config: CacheGateConfig): string {
  const plans = planSchema(config);
  const shown = [...plans.values()].slice(0, 2);
  const withJson = shown.find((p) => jsonColumn(p) !== undefined);
  const lines = [
    '# cachegate: rows of your tables, read through the cache.',
    '# Run it (▶ or Ctrl-Enter): the first run fetches from the',
    '# upstream (watch it on /jobs); the next one is cached.',
    withJson === undefined
      ? '# field(path:) reads any column by its name.'
      : `# field(path:) reads a column, or a dot path into a JSON column (${jsonColumn(withJson)}).`,
    'query Tables {',
  ];
  for (const plan of shown) {
    lines.push(`  ${plan.listField}(ids: ${IDS}) {`, '    id');
    for (const name of scalarFields(plan, 5)) lines.push(`    ${name}`);
    const json = jsonColumn(plan);
    // The whole JSON value, so the example path cannot point at a key the data lacks.
    if (json !== undefined) lines.push(`    fromPath: field(path: ${JSON.stringify(json)})`);
    const relation = plan.fields.find((f) => f.kind === 'relation');
    if (relation !== undefined) {
      const target = plans.get(relation.table)!;
      lines.push(`    ${relation.name} {`, '      id');
      for (const name of scalarFields(target, 2)) lines.push(`      ${name}`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  // Operator-only with `auth`: a reader would open GraphiQL on a FORBIDDEN error.
  if (config.auth === undefined)
    lines.push('  cacheStats {', '    table', '    rows', '    hits', '    misses', '    fetches', '  }');
  lines.push('}', '');
  return lines.join('\n');
}

/**
 * The options of the page. With `auth`, subscriptions go over SSE (plain HTTP) so the
 * `Authorization` header typed into GraphiQL's headers editor reaches every operation; over
 * graphql-ws GraphiQL would send headers only on the upgrade, which browsers cannot set.
 */
export function graphiqlOptions(config: CacheGateConfig): GraphiQLOptions {
  const query = defaultQuery(config);
  return {
    title: 'cachegate',
    defaultQuery: query,
    subscriptionsProtocol: config.auth === undefined ? 'WS' : 'SSE',
    ...(config.auth === undefined
      ? {}
      : { headers: JSON.stringify({ Authorization: 'Bearer PASTE-YOUR-TOKEN' }, null, 2) }),
  };
}

export interface GraphiQLRenderer {
  /** yoga's `renderGraphiQL`. */
  render(options: GraphiQLOptions): Promise<string>;
  /** The last page rendered, gzipped (9 MB → 2.4 MB); undefined before the first render. */
  gzipped(): Promise<Uint8Array<ArrayBuffer>> | undefined;
}

/**
 * yoga's `renderGraphiQL` with the bundled page. The module holds ~9 MB of inlined assets, so it
 * is loaded on the first page view (not at start-up), and each page is rendered (and gzipped,
 * off the event loop) once.
 */
export function createGraphiQLRenderer(): GraphiQLRenderer {
  const pages = new Map<string, { html: Promise<string>; gzipped: Promise<Uint8Array<ArrayBuffer>> }>();
  let last: Promise<Uint8Array<ArrayBuffer>> | undefined;
  return {
    render(options) {
      const key = JSON.stringify(options);
      let page = pages.get(key);
      if (page === undefined) {
        const html = import('@graphql-yoga/render-graphiql').then((m) => m.renderGraphiQL(options));
        page = { html, gzipped: html.then(async (text) => new Uint8Array(await gzipAsync(text))) };
        pages.set(key, page);
      }
      last = page.gzipped;
      return page.html;
    },
    gzipped: () => last,
  };
}
