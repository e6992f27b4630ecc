/**
 * Finding, reading and validating the config file (DESIGN §3). Every problem becomes one
 * ConfigError listing all issues as `key.path: what is expected`, so a user fixes a config in
 * one pass instead of one error per start-up.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema } from './schema.js';
import type { CacheGateConfig, PgliteSourceConfig } from './types.js';

/** Looked for in the working directory, in this order, when no `--config` is given. */
export const CONFIG_FILE_NAMES = [
  'cachegate.config.ts',
  'cachegate.config.js',
  'cachegate.config.mjs',
  'cachegate.config.json',
];

type Key = PropertyKey;

/** `tables.movies.source.url`; keys that are not plain names are bracketed. */
export function formatKeyPath(keys: readonly Key[]): string {
  if (keys.length === 0) return '(config)';
  return keys
    .map((k, i) => {
      const s = String(k);
      if (typeof k === 'number') return `[${s}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join('');
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${NAME}` in every string value; missing variables are collected, not thrown one by one. */
function substituteEnv(value: unknown, keys: Key[], env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (ref, name: string) => {
      const found = env[name];
      if (found !== undefined) return found;
      problems.push(`${formatKeyPath(keys)}: environment variable ${name} is not set (used as ${ref})`);
      return ref;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...keys, i], env, problems));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...keys, k], env, problems)]),
    );
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const A_TYPE: Record<string, string> = {
  object: 'an object',
  record: 'an object',
  array: 'an array',
  int: 'an integer',
};

/** One zod issue → lines in our `key.path: expected …` style. */
function issueLines(issue: z.core.$ZodIssue): string[] {
  const at = (extra: Key[] = []) => formatKeyPath([...issue.path, ...extra]);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map(
        (k) => `${at([k])}: unknown key (check the spelling; see the README, section Configuration)`,
      );
    case 'invalid_type': {
      const expected = A_TYPE[issue.expected] ?? `a ${issue.expected}`;
      const got = issue.input === undefined ? 'it is missing' : `got ${describeValue(issue.input)}`;
      return [`${at()}: expected ${expected}, ${got}`];
    }
    case 'invalid_value':
      return [`${at()}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}`];
    case 'too_small':
      if (issue.origin === 'string') return [`${at()}: expected a non-empty string`];
      return [
        `${at()}: expected a value ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${describeValue(issue.input)}`,
      ];
    case 'invalid_key':
      return issue.issues.map((inner) => `${at()}: ${inner.message}`);
    default:
      return [`${at()}: ${issue.message}`];
  }
}

/**
 * Validates a raw config (already read from its file) and resolves it against `baseDir`.
 * Throws ConfigError listing every issue. `env` is a seam for tests.
 */
export function parseConfig(
  raw: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): CacheGateConfig {
  const problems: string[] = [];
  const substituted = substituteEnv(raw, [], env, problems);
  const result = configSchema.safeParse(substituted, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.flatMap(issueLines));
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(`Invalid cachegate config:\n  ${problems.join('\n  ')}`, { issues: problems });
  }
  const { fetchLocks, ...config } = result.data;
  for (const table of Object.values(config.tables)) {
    if (table.source?.kind === 'pglite') resolveDataDir(table.source, baseDir);
  }
  return {
    ...config,
    ...(fetchLocks === undefined ? {} : { fetchLocks }),
    cacheDir: path.resolve(baseDir, config.cacheDir),
    baseDir,
  };
}

// A PGlite dataDir is a folder like cacheDir, so it resolves against the config's folder too,
// not the server's cwd; URL-style dirs ("memory://", "idb://") are left alone.
function resolveDataDir(source: PgliteSourceConfig, baseDir: string): void {
  if (source.dataDir !== undefined && !source.dataDir.includes('://')) {
    source.dataDir = path.resolve(baseDir, source.dataDir);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readConfigFile(file: string): Promise<unknown> {
  const ext = path.extname(file);
  if (ext === '.json') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `Cannot read config file ${file}: ${(e as Error).message}`,
        { file },
        { cause: e },
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new ConfigError(
        `Config file ${file} is not valid JSON: ${(e as Error).message}`,
        { file },
        { cause: e },
      );
    }
  }
  if (!['.js', '.mjs', '.cjs', '.ts', '.mts'].includes(ext)) {
    throw new ConfigError(`Config file ${file} must end in .ts, .js, .mjs or .json`, { file });
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (ext.endsWith('ts') && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new ConfigError(
        `Cannot load ${file}: this Node.js cannot import TypeScript. Run cachegate under tsx (npx tsx …), or use cachegate.config.js or .json.`,
        { file },
        { cause: e },
      );
    }
    throw new ConfigError(`Cannot load config file ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  const value = mod['default'] ?? mod['config'];
  if (value === undefined) {
    throw new ConfigError(`Config file ${file} must have a default export or a \`config\` export`, { file });
  }
  return value;
}

/**
 * Loads `options.path` (relative to cwd), or the first of CONFIG_FILE_NAMES in cwd.
 * Returns undefined when there is no config file, so the caller can serve its demo.
 */
export async function loadConfig(options: {
  path?: string;
  cwd: string;
}): Promise<CacheGateConfig | undefined> {
  let file: string | undefined;
  if (options.path !== undefined) {
    file = path.resolve(options.cwd, options.path);
    if (!(await exists(file))) throw new ConfigError(`Config file ${file} does not exist`, { file });
  } else {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(options.cwd, name);
      if (await exists(candidate)) {
        file = candidate;
        break;
      }
    }
    if (file === undefined) return undefined;
  }
  const raw = await readConfigFile(file);
  try {
    return parseConfig(raw, path.dirname(file));
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new ConfigError(
        e.message.replace('Invalid cachegate config', `Invalid cachegate config in ${file}`),
        {
          ...e.details,
          file,
        },
      );
    }
    throw e;
  }
}
