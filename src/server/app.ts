/**
 * `buildApp`: the cachegate server — graphql-yoga on node:http with GraphiQL, graphql-ws on the
 * same `/graphql` path, `/health`, `/metrics`, request logs — returning `{ start, stop }` so that
 * the CLI, tests and the benchmark all run the same thing.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type YogaServerInstance, maskError as yogaMaskError } from 'graphql-yoga';
import { type Logger, pino } from 'pino';
import { type CacheGateConfig, DEFAULT_LIMITS, type Limits } from '../config/types.js';
import { createCache } from '../engine.js';
import type { Cache } from '../engine-types.js';
import { buildSchema } from '../schema/index.js';
import { createServerContext, type ServerContext } from './context.js';
import { toGraphQLError } from './errors.js';
import { defaultQuery } from './graphiql.js';
import { createMetrics } from './metrics.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { useErrorMapping } from './plugins/use-error-mapping.js';
import { useHealth } from './plugins/use-health.js';
import { useLimits } from './plugins/use-limits.js';
import { useListLimit } from './plugins/use-list-limit.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { createProgressBridge } from './progress-feed.js';
import { requestIdOf } from './request-id.js';
import { createWarmGate } from './warm-gate.js';
import { attachGraphQLWs, type WsHandle } from './ws.js';

export interface AppOptions {
  config: CacheGateConfig;
  /** The engine to serve; created from `config` when absent. Closed by `stop()` either way. */
  cache?: Cache;
  logger?: Logger;
  /** Progress events travel through Redis (DESIGN §6) instead of staying in-process. */
  redisUrl?: string;
  /** Overrides `limits.upstreamCost` (upstream cells one lookup or warm may fetch). */
  maxUpstreamCost?: number;
  /** Overrides the config's `limits`, key by key. */
  limits?: Partial<Limits>;
}

export type CacheGateYoga = YogaServerInstance<Record<string, unknown>, ServerContext>;

export interface App {
  yoga: CacheGateYoga;
  schema: GraphQLSchema;
  cache: Cache;
  start(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Closes sockets and the HTTP server, then the cache (which aborts or finishes running batches). */
  stop(): Promise<void>;
}

/** In-flight HTTP requests get this long to finish on stop before their sockets are cut. */
const STOP_GRACE_MS = 5_000;

// yoga's logger calls (`logger.error(err)`, `logger.debug('...')`) map onto pino's methods.
function yogaLogger(logger: Logger) {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (typeof first === 'string') logger[level](rest.length > 0 ? { args: rest } : {}, first);
      else logger[level]({ err: first, args: rest.length > 0 ? rest : undefined }, 'yoga');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function buildApp(options: AppOptions): App {
  const { config } = options;
  const logger = options.logger ?? pino({ level: process.env['LOG_LEVEL'] ?? 'info' });
  const cache = options.cache ?? createCache(config);
  const schema = buildSchema(config);
  const metrics = createMetrics(cache);
  const bridge = createProgressBridge(cache.jobs, options.redisUrl);
  const stopMetrics = cache.jobs.subscribe((event) => metrics.progress(event));
  const limits: Limits = {
    ...DEFAULT_LIMITS,
    ...config.limits,
    ...options.limits,
    ...(options.maxUpstreamCost === undefined ? {} : { upstreamCost: options.maxUpstreamCost }),
  };
  const warmGate = createWarmGate(cache, limits);
  const deps = {
    cache,
    progress: bridge.feed,
    logger,
    warmGate,
    loaderOptions: {
      maxUpstreamCost: limits.upstreamCost,
      onLookup: (table: string, _ids: number, _columns: number, ms: number) => metrics.lookup(table, ms),
    },
  };

  const yoga: CacheGateYoga = createYoga<Record<string, unknown>, ServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // `/health` is ours (it checks the cache folder); yoga's bare liveness answer moves aside.
    healthCheckEndpoint: '/health/live',
    landingPage: false,
    graphiql: { title: 'cachegate', defaultQuery: defaultQuery(config), subscriptionsProtocol: 'WS' },
    logging: yogaLogger(logger),
    // useBodyLimit answers with our LIMIT_EXCEEDED instead of yoga's 25 MB cap.
    maxRequestBodySize: false,
    // Second line of defence: use-error-mapping handles execution results with their request
    // id; this catches errors raised outside them (context creation, subscription setup).
    maskedErrors: {
      maskError: (error, message, isDev) => toGraphQLError(error) ?? yogaMaskError(error, message, isDev),
    },
    // The WebSocket side passes no Request: its operations get a fresh id.
    context: (initial) => createServerContext(deps, requestIdOf(initial.request as Request | undefined)),
    plugins: [
      useRequestLog(logger),
      useHealth(config.cacheDir),
      useMetrics(metrics),
      useBodyLimit(limits.requestBodyBytes),
      useLimits(limits),
      useListLimit(limits.idsPerList),
      useErrorMapping(),
    ],
  });

  let server: Server | undefined;
  let ws: WsHandle | undefined;
  let stopping: Promise<void> | undefined;

  return {
    yoga,
    schema,
    cache,
    async start(port, host = '127.0.0.1') {
      if (server !== undefined) throw new Error('buildApp: start() was called twice; stop() first.');
      // Sources such as PGlite keep their data under the cache folder and do not create parents.
      await mkdir(config.cacheDir, { recursive: true });
      const http = createServer(yoga);
      server = http;
      ws = attachGraphQLWs(http, yoga, limits, logger);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolve();
        });
      });
      const bound = (http.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      logger.info({ port: bound, host }, 'cachegate listening');
      return { port: bound, url: `http://${shown}:${bound}${yoga.graphqlEndpoint}` };
    },
    stop() {
      stopping ??= (async () => {
        await ws?.close();
        if (server !== undefined) {
          const http = server;
          const closed = new Promise<void>((resolve) => http.close(() => resolve()));
          http.closeIdleConnections();
          const timer = setTimeout(() => http.closeAllConnections(), STOP_GRACE_MS);
          await closed;
          clearTimeout(timer);
        }
        stopMetrics();
        warmGate.close();
        await bridge.close();
        await cache.close();
        logger.info('cachegate stopped');
      })();
      return stopping;
    },
  };
}
