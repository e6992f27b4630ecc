export {
  createEntityLoader,
  type EntityKey,
  type EntityLoader,
  type EntityLoaderOptions,
  type EntityRow,
  entityKey,
} from './entity-loader.js';
export { createLoaders, type Loaders, requireTable } from './loaders.js';
