import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CONFIG_FILE_NAMES } from '../config/load.js';
import type { CacheGateConfig } from '../config/types.js';
import { buildApp } from '../server/app.js';
import { createLogger } from '../server/logger.js';
import { startTracing } from '../server/tracing.js';
import { COMMON_OPTIONS, parseCommandArgs, parsePort } from './args.js';
import { type CliIo, EXIT, UsageError } from './io.js';
import { resolveConfig, withEnvFetchLocks } from './resolve-config.js';
import { checkTables } from './source-check.js';

export const usage = `Usage: cachegate serve [--config PATH] [--port 4000] [--host 127.0.0.1] [--insecure]

Serves the GraphQL API at /graphql (GraphiQL in a browser), /health and /metrics.
With no config file, serves the built-in demo (an embedded PGlite database, seeded on first start).
At start-up, logs as warnings where the config does not match its database (see cachegate check).

Options:
  -p, --port PORT              port to listen on (default: $PORT, else 4000; 0 picks a free port)
  -H, --host HOST              address to bind (default: 127.0.0.1; 0.0.0.0 for every interface)
  --insecure                   allow a non-loopback --host without "auth" in the config (anyone reaching it may do anything)
  --max-upstream-cost N        refuse lookups that would fetch more than N ID x column cells upstream
                               (overrides limits.upstreamCost; default 50000)
  -c, --config PATH            config file (default: cachegate.config.{ts,js,mjs,json} in the current folder, else the demo)
  -h, --help                   show this help

Environment:
  REDIS_URL                    send fetch progress through Redis, so a subscriber on one replica sees jobs
                               running on another, and lock fetches in Redis, so replicas sharing the cache
                               folder do not fetch the same IDs at once (config "fetchLocks" overrides)
  LOG_LEVEL                    trace | debug | info (default) | warn | error | silent
  OTEL_EXPORTER_OTLP_ENDPOINT  export OpenTelemetry traces over OTLP/HTTP (off when unset)`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      ...COMMON_OPTIONS,
      port: { type: 'string', short: 'p' },
      host: { type: 'string', short: 'H' },
      'max-upstream-cost': { type: 'string' },
      insecure: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`serve takes no arguments, but got: ${positionals.join(' ')}`);
  const port = parsePort(values.port ?? io.env['PORT'], 4000);
  const host = values.host ?? '127.0.0.1';
  const maxUpstreamCost = parseCost(values['max-upstream-cost']);
  const redisUrl = io.env['REDIS_URL'] || undefined;

  const resolved = await resolveConfig(values.config, io.cwd);
  const { demo } = resolved;
  const config = withEnvFetchLocks(resolved.config, io.env);
  const firstDemoStart = demo && !existsSync(join(config.cacheDir, 'demo-db'));
  const logger = await createLogger({ env: io.env, tty: io.stdout.isTTY === true });
  const tracing = await startTracing(io.env);
  const app = buildApp({
    config,
    logger,
    ...(redisUrl ? { redisUrl } : {}),
    ...(maxUpstreamCost === undefined ? {} : { maxUpstreamCost }),
    insecure: values.insecure === true,
  });
  const started = await app.start(port, host);
  const lines: string[] = [];
  if (demo) {
    lines.push(
      `No ${CONFIG_FILE_NAMES.join(', ')} in ${io.cwd}: serving the built-in demo (data in ${config.cacheDir}).`,
    );
    if (firstDemoStart)
      lines.push('The demo database is created and seeded on the first query: that one takes a few seconds.');
  }
  const tables = Object.keys(config.tables);
  lines.push(
    `cachegate serving ${tables.length} table${tables.length === 1 ? '' : 's'} (${tables.join(', ')})${redisUrl ? ' with Redis' : ''}`,
    `GraphiQL: ${graphqlUrl(host, started.port)}`,
  );
  if (tracing) lines.push('Tracing: spans exported over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT).');
  io.stdout.write(`${lines.join('\n')}\n`);
  // The demo matches its own database; checking it would seed it now instead of on first use.
  if (!demo) void warnMismatches(config, logger);
  await untilSignal(async (signal) => {
    io.stderr.write(`${signal}: stopping (again to force)...\n`);
    await app.stop();
    // Spans still buffered are exported before the process ends.
    await tracing?.shutdown();
  });
  return EXIT.ok;
}

/**
 * `cachegate check`'s findings as warnings, in the background: a mismatch shows up in the log at
 * start-up instead of as a failed query later, but never stops the server (the database may
 * just be down for now, or the column may be added soon).
 */
async function warnMismatches(config: CacheGateConfig, logger: Logger): Promise<void> {
  try {
    for (const r of await checkTables(config)) {
      for (const f of r.findings) {
        logger.warn(
          { table: r.table, source: r.source, check: f.level },
          `config check: ${r.table}: ${f.message}`,
        );
      }
    }
  } catch (e) {
    logger.warn({ err: e }, 'config check could not run');
  }
}

function parseCost(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--max-upstream-cost must be a positive integer, but got: ${value}`);
  return Number(value);
}

/** A browsable URL: a wildcard bind address is not one, so it is shown as localhost. */
export function graphqlUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/graphql`;
}

/** Resolves once `stop` has run after the first SIGINT/SIGTERM; a second signal exits at once. */
function untilSignal(stop: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise((resolveStopped, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(EXIT.failed);
      stopping = true;
      stop(signal).then(resolveStopped, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
