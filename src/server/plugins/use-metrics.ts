/** `GET /metrics` in Prometheus text format, and one request count per HTTP response. */
import type { Plugin } from 'graphql-yoga';
import type { Metrics } from '../metrics.js';

export const METRICS_PATH = '/metrics';

export function useMetrics(metrics: Metrics): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== METRICS_PATH || request.method !== 'GET') return;
      endResponse(
        new fetchAPI.Response(await metrics.registry.metrics(), {
          status: 200,
          headers: { 'content-type': metrics.registry.contentType },
        }),
      );
    },
    onResponse({ request, response }) {
      metrics.request(request.method, new URL(request.url).pathname, response.status);
    },
  };
}
