/**
 * `GET /jobs`: the live jobs page, and `GET /jobs/app.js`, its bundled script. Neither carries
 * data, so both are public (use-auth.ts); the page reads everything over the authenticated
 * graphql-ws socket. A strict CSP keeps the page to its own script and its own server.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { jobsPageHtml } from '../jobs-page/html.js';
import { JOBS_PAGE_PATH, JOBS_SCRIPT_PATH } from '../jobs-page/paths.js';
import { jobsScript } from '../jobs-page/script.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'unsafe-inline'",
  // 'self' covers the same-origin ws:// and wss:// of the feed.
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };

export function useJobsPage(logger: Logger): Plugin {
  const html = jobsPageHtml();
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const path = url.pathname.replace(/\/$/, '');
      if (path === JOBS_PAGE_PATH) {
        endResponse(
          new fetchAPI.Response(html, {
            headers: {
              ...COMMON,
              'content-type': 'text/html; charset=utf-8',
              'content-security-policy': CSP,
            },
          }),
        );
      } else if (path === JOBS_SCRIPT_PATH) {
        try {
          const script = await jobsScript();
          endResponse(
            new fetchAPI.Response(script, {
              headers: { ...COMMON, 'content-type': 'text/javascript; charset=utf-8' },
            }),
          );
        } catch (error) {
          logger.error({ err: error }, 'jobs page script unavailable');
          const message = error instanceof Error ? error.message : String(error);
          endResponse(
            new fetchAPI.Response(`console.error(${JSON.stringify(message)});`, {
              status: 503,
              headers: { ...COMMON, 'content-type': 'text/javascript; charset=utf-8' },
            }),
          );
        }
      }
    },
  };
}
