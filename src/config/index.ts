export { CONFIG_FILE_NAMES, formatKeyPath, loadConfig, parseConfig } from './load.js';
export {
  COLUMN_TYPES,
  configSchema,
  GRAPHQL_NAME,
  type ParsedConfig,
  parseDuration,
  parseSize,
  type RawConfig,
} from './schema.js';
export * from './types.js';
