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
import { createCache } from '../engine/cache.js';
import type { Cache } from '../engine/types.js';
import { ConfigError } from '../errors.js';
import { buildSchema, planSchema } from '../schema/index.js';
import { createAuthenticator } from './auth/authenticate.js';
import { guardRootFields } from './auth/guard-fields.js';
import { createHostPolicy } from './auth/hosts.js';
import { assertSafeBind } from './auth/loopback.js';
import { createOriginPolicy } from './auth/origins.js';
import type { Principal } from './auth/principal.js';
import { createServerContext, type ServerContext } from './context.js';
import { toGraphQLError } from './errors.js';
import { exposureOf } from './exposure.js';
import { createGraphiQLRenderer, graphiqlOptions } from './graphiql.js';
import { createMetrics } from './metrics.js';
import { principalOf, useAuth } from './plugins/use-auth.js';
import { useBodyLimit } from './plugins/use-body-limit.js';
import { useCsrf } from './plugins/use-csrf.js';
import { useDisableIntrospection } from './plugins/use-disable-introspection.js';
import { useErrorMapping } from './plugins/use-error-mapping.js';
import { useGraphiQLGzip } from './plugins/use-graphiql-gzip.js';
import { useHealth } from './plugins/use-health.js';
import { useHideSuggestions } from './plugins/use-hide-suggestions.js';
import { useHostCheck } from './plugins/use-host-check.js';
import { useJobsPage } from './plugins/use-jobs-page.js';
import { useLimits } from './plugins/use-limits.js';
import { useListLimit } from './plugins/use-list-limit.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useReadiness } from './plugins/use-readiness.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { useTracing } from './plugins/use-tracing.js';
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
  /** Listen on a non-loopback address without `auth` (`serve --insecure`). */
  insecure?: boolean;
  /** Where NODE_ENV is read (production defaults, `exposure.ts`); `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Longest wait, at each step of stop(), for requests, jobs and sources to end (default 5 s). */
  stopGraceMs?: number;
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
/** The final event of a job that shutdown interrupted. */
const STOPPED_MESSAGE =
  'the server stopped before this job finished; ids not yet fetched were not cached: run warm again once it is back';

// yoga's logger calls (`logger.error(err)`, `logger.debug('...')`) map onto pino's methods.
/**
 * Lets events published just now (the final events of interrupted jobs) reach the sockets: the
 * in-process pub/sub delivers within the current microtask chain, Redis needs a round trip.
 */
async function deliverPending(viaRedis: boolean): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (viaRedis) await new Promise<void>((resolve) => setTimeout(resolve, 100));
}

/** A listen failure as one line that says what to do (the CLI prints ConfigError messages as they are). */
function listenError(e: NodeJS.ErrnoException, port: number, host: string): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `port ${port} is in use: another process listens on ${where}. Stop it, or choose another port with --port (0 picks a free one).`,
        { port, host },
        { cause: e },
      );
    case 'EACCES':
      return new ConfigError(
        `port ${port} needs privileges on this system: choose a port above 1023 with --port.`,
        { port, host },
        { cause: e },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ConfigError(
        `cannot listen on ${where}: ${host} is not an address of this machine. Check --host.`,
        { port, host },
        { cause: e },
      );
    default:
      return e;
  }
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = p.then(
    () => true as const,
    () => true as const,
  );
  const settled = await Promise.race([done, late]);
  clearTimeout(timer);
  return settled;
}

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
  const hosts = createHostPolicy({ hasAuth: authenticator !== undefined, allowedHosts: config.allowedHosts });
  const exposure = exposureOf(config, options.env);
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

  const graphiqlRenderer = createGraphiQLRenderer();
  const yoga: CacheGateYoga = createYoga<Record<string, unknown>, ServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // `/health` is ours (it checks the cache folder); yoga's bare liveness answer moves aside.
    healthCheckEndpoint: '/health/live',
    landingPage: false,
    graphiql: exposure.graphiql ? graphiqlOptions(config) : false,
    renderGraphiQL: graphiqlRenderer.render,
    cors: (request) => origins.yogaCors(request),
    // File uploads are not part of the API; a multipart body is also what a CSRF form sends.
    multipart: false,
    logging: yogaLogger(logger),
    // useBodyLimit answers with our LIMIT_EXCEEDED instead of yoga's 25 MB cap.
    maxRequestBodySize: false,
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
      useHostCheck(hosts),
      useCsrf('/graphql'),
      ...(authenticator === undefined ? [] : [useAuth(authenticator, logger)]),
      ...(exposure.introspection ? [] : [useDisableIntrospection()]),
      ...(exposure.suggestions ? [] : [useHideSuggestions()]),
      useHealth(config.cacheDir),
      useJobsPage(logger),
      useGraphiQLGzip(graphiqlRenderer, '/graphql'),
      useReadiness(cache, { stopping: () => stopping !== undefined }),
      useMetrics(metrics),
      useBodyLimit(limits.requestBodyBytes),
      useLimits(limits),
      useListLimit(limits.idsPerList),
      useTracing(),
      useErrorMapping(),
    ],
  });

  let server: Server | undefined;
  let ws: WsHandle | undefined;
  let stopping: Promise<void> | undefined;
  const graceMs = options.stopGraceMs ?? STOP_GRACE_MS;

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
      await new Promise<void>((resolve, reject) => {
        http.once('error', (e) => reject(listenError(e, port, host)));
        http.listen(port, host, () => {
          http.removeAllListeners('error');
          resolve();
        });
      });
      server = http;
      // Attached once listening: a WebSocketServer re-emits the server's listen error, which
      // without a listener of its own would crash the process with a second stack trace.
      ws = attachGraphQLWs(
        http,
        yoga,
        {
          authenticator,
          origins,
          hosts,
          onRefused: (reason) => logger.warn({ reason }, 'websocket refused'),
        },
        limits,
        logger,
      );
      const bound = (http.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      logger.info({ port: bound, host }, 'cachegate listening');
      return { port: bound, url: `http://${shown}:${bound}${yoga.graphqlEndpoint}` };
    },
    stop() {
      stopping ??= (async () => {
        const http = server;
        // No new connections; idle keep-alive sockets close now, busy ones once answered.
        const httpClosed = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
        http?.closeIdleConnections();
        // Jobs end and upstream calls abort first: a request stuck on a hung upstream (or on a
        // claim of another request's job) answers now, and subscribers get the final event.
        const cacheClosed = cache.close({ reason: STOPPED_MESSAGE, graceMs });
        const finished = (async () => {
          await deliverPending(options.redisUrl !== undefined);
          await ws?.close();
          const cut = setTimeout(() => http?.closeAllConnections(), graceMs);
          await httpClosed;
          clearTimeout(cut);
          stopMetrics();
          warmGate.close();
          metrics.close();
          await bridge.close();
          await cacheClosed;
        })();
        // Whatever hangs (a socket, Redis, a source's close), stop() ends within this bound.
        if (!(await settlesWithin(finished, graceMs * 3))) {
          http?.closeAllConnections();
          logger.warn({ boundMs: graceMs * 3 }, 'stop: gave up waiting for requests, jobs or sources');
        }
        logger.info('cachegate stopped');
      })();
      return stopping;
    },
  };
}
