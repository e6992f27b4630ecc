/** `buildSchema(config)`: the GraphQL schema of DESIGN §4 for the tables of a config. */
import type { GraphQLSchema } from 'graphql';
import type { CacheGateConfig } from '../config/types.js';
import { createBuilder } from './builder.js';
import { addColumnScalars } from './column-scalars.js';
import { addEntityType, createEntityRefs } from './entity-type.js';
import { addFetchJobType } from './fetch-job-type.js';
import { addFetchProgressType } from './fetch-progress-type.js';
import { addInvalidateMutation } from './invalidate-mutation.js';
import { addJobStatusEnum } from './job-status-enum.js';
import { addJsonScalar } from './json-scalar.js';
import { addRowType } from './row-type.js';
import { planSchema } from './table-plan.js';
import { addTableStatsType } from './table-stats-type.js';

export type { ProgressFeed, ProgressFilter, SchemaContext, WarmGate } from './context.js';
export { defaultTypeName, safeFieldName } from './naming.js';
export { planSchema, type SchemaPlan, type TablePlan } from './table-plan.js';

/** Throws ConfigError when the config's names cannot make a schema (clashing type names…). */
export function buildSchema(config: CacheGateConfig): GraphQLSchema {
  const builder = createBuilder();
  builder.queryType({
    description: 'Reads: rows of the configured tables through the cache, jobs and statistics.',
  });
  builder.mutationType({ description: 'Cache maintenance: warm rows ahead of use, or drop them.' });
  builder.subscriptionType({ description: 'Live progress of fetch jobs (over graphql-ws or SSE).' });
  addJsonScalar(builder);
  const JobStatus = addJobStatusEnum(builder);

  const plans = planSchema(config);
  addColumnScalars(builder, plans);
  const refs = createEntityRefs(builder, plans);
  for (const plan of plans.values()) addEntityType(builder, plan, plans, refs);
  addRowType(builder);
  addTableStatsType(builder);
  addFetchJobType(builder, JobStatus);
  addInvalidateMutation(builder);
  addFetchProgressType(builder, JobStatus);
  return builder.toSchema();
}
