import { demoConfig } from '../config/demo.js';
import { loadConfig } from '../config/load.js';
import type { CacheGateConfig } from '../config/types.js';

export interface ResolvedConfig {
  config: CacheGateConfig;
  /** True when no config file was found and the built-in demo is used. */
  demo: boolean;
}

/** `--config PATH`, else a config file in `cwd`, else the built-in demo (DESIGN §3). */
export async function resolveConfig(path: string | undefined, cwd: string): Promise<ResolvedConfig> {
  const loaded = await loadConfig(path === undefined ? { cwd } : { path, cwd });
  return loaded ? { config: loaded, demo: false } : { config: demoConfig(cwd), demo: true };
}
