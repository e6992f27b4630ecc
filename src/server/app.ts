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
import type { CacheGateConfig } from '../config/types.js';
import { createCache } from '../engine.js';
import type { Cache } from '../engine-types.js';
import { buildSchema, planSchema } from '../schema/index.js';
import { createAuthenticator } from './auth/authenticate.js';
import { guardRootFields } from './auth/guard-fields.js';
import { assertSafeBind } from './auth/loopback.js';
import { createOriginPolicy } from './auth/origins.js';
import type { Principal } from './auth/principal.js';
import { createServerContext, type ServerContext } from './context.js';
import { toGraphQLError } from './errors.js';
import { exposureOf } from './exposure.js';
import { defaultQuery } from './graphiql.js';
import { createMetrics } from './metrics.js';
import { principalOf, useAuth } from './plugins/use-auth.js';
import { useCsrf } from './plugins/use-csrf.js';
import { useDisableIntrospection } from './plugins/use-disable-introspection.js';
import { useErrorMapping } from './plugins/use-error-mapping.js';
import { useHealth } from './plugins/use-health.js';
import { useHideSuggestions } from './plugins/use-hide-suggestions.js';
import { type Limits, useLimits } from './plugins/use-limits.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { createProgressBridge } from './progress-feed.js';
import { requestIdOf } from './request-id.js';
import { attachGraphQLWs, type WsHandle } from './ws.js';

export interface AppOptions {
  config: CacheGateConfig;
  /** The engine to serve; created from `config` when absent. Closed by `stop()` either way. */
  cache?: Cache;
  logger?: Logger;
  /** Progress events travel through Redis (DESIGN §6) instead of staying in-process. */
  redisUrl?: string;
  /** Upstream cells (missing IDs × missing columns) one lookup may fetch; unlimited if absent. */
  maxUpstreamCost?: number;
  limits?: Limits;
  /** Listen on a non-loopback address without `auth` (`serve --insecure`). */
  insecure?: boolean;
  /** Where NODE_ENV is read (production defaults, `exposure.ts`); `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
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
  const authenticator = config.auth === undefined ? undefined : createAuthenticator(config.auth);
  if (config.auth !== undefined) {
    const tableFields = [...planSchema(config).values()].flatMap((p) => [p.listField, p.singleField]);
    guardRootFields(schema, new Set(tableFields));
  }
  const origins = createOriginPolicy(config.cors);
  const exposure = exposureOf(config, options.env);
  const metrics = createMetrics(cache);
  const bridge = createProgressBridge(cache.jobs, options.redisUrl);
  const stopMetrics = cache.jobs.subscribe((event) => metrics.progress(event));
  const deps = {
    cache,
    progress: bridge.feed,
    logger,
    loaderOptions: {
      maxUpstreamCost: options.maxUpstreamCost,
      onLookup: (table: string, _ids: number, _columns: number, ms: number) => metrics.lookup(table, ms),
    },
  };

  const yoga: CacheGateYoga = createYoga<Record<string, unknown>, ServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // `/health` is ours (it checks the cache folder); yoga's bare liveness answer moves aside.
    healthCheckEndpoint: '/health/live',
    landingPage: false,
    graphiql: exposure.graphiql
      ? { title: 'cachegate', defaultQuery: defaultQuery(config), subscriptionsProtocol: 'WS' }
      : false,
    cors: (request) => origins.yogaCors(request),
    // File uploads are not part of the API; a multipart body is also what a CSRF form sends.
    multipart: false,
    logging: yogaLogger(logger),
    // Second line of defence: use-error-mapping handles execution results with their request
    // id; this catches errors raised outside them (context creation, subscription setup).
    maskedErrors: {
      maskError: (error, message, isDev) => toGraphQLError(error) ?? yogaMaskError(error, message, isDev),
    },
    // The WebSocket side passes no Request: its operations get a fresh id.
    // The WebSocket side passes the socket's principal (ws.ts); HTTP's comes from useAuth.
    context: (initial) => {
      const request = initial.request as Request | undefined;
      const principal = (initial as { principal?: Principal }).principal ?? principalOf(request);
      return createServerContext(deps, requestIdOf(request), principal);
    },
    plugins: [
      useRequestLog(logger),
      useCsrf('/graphql'),
      ...(authenticator === undefined ? [] : [useAuth(authenticator, logger)]),
      ...(exposure.introspection ? [] : [useDisableIntrospection()]),
      ...(exposure.suggestions ? [] : [useHideSuggestions()]),
      useHealth(config.cacheDir),
      useMetrics(metrics),
      useLimits(options.limits),
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
      await assertSafeBind(host, authenticator !== undefined, options.insecure === true);
      // Sources such as PGlite keep their data under the cache folder and do not create parents.
      await mkdir(config.cacheDir, { recursive: true });
      const http = createServer(yoga);
      server = http;
      ws = attachGraphQLWs(http, yoga, {
        authenticator,
        origins,
        onRefused: (reason) => logger.warn({ reason }, 'websocket refused'),
      });
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
        await bridge.close();
        await cache.close();
        logger.info('cachegate stopped');
      })();
      return stopping;
    },
  };
}
