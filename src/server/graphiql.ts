/** GraphiQL's default query: a look at the first configured tables and the cache statistics. */
import type { CacheGateConfig } from '../config/types.js';
import { planSchema, type TablePlan } from '../schema/index.js';

const IDS = '["1", "2", "3"]';

function scalarFields(plan: TablePlan, max: number): string[] {
  return plan.fields
    .filter((f) => f.kind === 'column')
    .slice(0, max)
    .map((f) => f.name);
}

export function defaultQuery(config: CacheGateConfig): string {
  const plans = planSchema(config);
  const lines = [
    '# cachegate: rows of the configured tables, read through the cache.',
    '# The first run fetches from the upstream (watch it with a `fetchProgress` subscription',
    '# in a second tab); the next one is served from the cache.',
    '# `field(path:)` reads any column or a dot path into a JSON column.',
    'query Tables {',
  ];
  for (const plan of [...plans.values()].slice(0, 2)) {
    lines.push(`  ${plan.listField}(ids: ${IDS}) {`, '    id');
    for (const name of scalarFields(plan, 5)) lines.push(`    ${name}`);
    const relation = plan.fields.find((f) => f.kind === 'relation');
    if (relation !== undefined) {
      const target = plans.get(relation.table)!;
      lines.push(`    ${relation.name} {`, '      id');
      for (const name of scalarFields(target, 2)) lines.push(`      ${name}`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  lines.push(
    '  cacheStats {',
    '    table',
    '    rows',
    '    hits',
    '    misses',
    '    fetches',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}
