/** One log line per HTTP request, tagged with its request id (also sent back as `x-request-id`). */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdOf } from '../request-id.js';

export function useRequestLog(logger: Logger): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      const reqId = requestIdOf(request);
      const start = started.get(request);
      const ms = start === undefined ? undefined : Math.round((performance.now() - start) * 10) / 10;
      response.headers.set(REQUEST_ID_HEADER, reqId);
      const url = new URL(request.url);
      logger.info(
        { reqId, method: request.method, path: url.pathname, status: response.status, ms },
        'request',
      );
    },
  };
}
