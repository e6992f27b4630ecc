/**
 * What the server shows of itself: GraphiQL, schema introspection and "Did you mean …?"
 * suggestions. Each is on by default for development and off with NODE_ENV=production, and each
 * can be set in the config either way.
 */
import type { CacheGateConfig } from '../config/types.js';

export interface Exposure {
  graphiql: boolean;
  introspection: boolean;
  suggestions: boolean;
}

export function exposureOf(
  config: Pick<CacheGateConfig, 'graphiql' | 'introspection' | 'suggestions'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Exposure {
  const development = env['NODE_ENV'] !== 'production';
  return {
    graphiql: config.graphiql ?? development,
    introspection: config.introspection ?? development,
    suggestions: config.suggestions ?? development,
  };
}
