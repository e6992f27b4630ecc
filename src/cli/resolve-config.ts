import { mkdir } from 'node:fs/promises';
import { demoConfig } from '../config/demo.js';
import { loadConfig } from '../config/load.js';
import { type CacheGateConfig, DEFAULT_FETCH_LOCKS } from '../config/types.js';

export interface ResolvedConfig {
  config: CacheGateConfig;
  /** True when no config file was found and the built-in demo is used. */
  demo: boolean;
}

/** `--config PATH`, else a config file in `cwd`, else the built-in demo (DESIGN §3). */
export async function resolveConfig(path: string | undefined, cwd: string): Promise<ResolvedConfig> {
  const loaded = await loadConfig(path === undefined ? { cwd } : { path, cwd });
  if (loaded) return { config: loaded, demo: false };
  const config = demoConfig(cwd);
  // PGlite creates its dataDir but not the parents, and the demo database sits inside cacheDir.
  await mkdir(config.cacheDir, { recursive: true });
  return { config, demo: true };
}

/**
 * `REDIS_URL` turns on cross-replica fetch locks (DESIGN §6) unless the config sets its own: for
 * `serve`, and for `warm`, which fetches beside the replicas sharing the cache folder.
 */
export function withEnvFetchLocks(config: CacheGateConfig, env: NodeJS.ProcessEnv): CacheGateConfig {
  const redisUrl = env['REDIS_URL'] || undefined;
  if (redisUrl === undefined || config.fetchLocks !== undefined) return config;
  return { ...config, fetchLocks: { redisUrl, ...DEFAULT_FETCH_LOCKS } };
}
