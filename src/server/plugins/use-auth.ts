/**
 * HTTP authentication (DESIGN §4 "Access"): every path but the health checks needs a bearer
 * token; without one (or with a bad one) the request ends here with 401 UNAUTHENTICATED, before
 * any parsing. `GET /metrics` also needs the operator role. The principal found is kept for the
 * context factory (`principalOf`). CORS preflights and the GraphiQL page are answered by yoga's
 * own plugins before this one runs: neither carries data.
 */
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate.js';
import { hasRole, OPEN_PRINCIPAL, type Principal } from '../auth/principal.js';
import { JOBS_PAGE_PATH, JOBS_SCRIPT_PATH } from '../jobs-page/paths.js';
import { requestIdOf } from '../request-id.js';
import { METRICS_PATH } from './use-metrics.js';

const PUBLIC_PATHS = new Set(['/health', '/health/live', '/health/ready']);
/** Pages that hold no data: their data comes over the authenticated socket (use-jobs-page.ts). */
const PUBLIC_PAGES = new Set([JOBS_PAGE_PATH, `${JOBS_PAGE_PATH}/`, JOBS_SCRIPT_PATH]);

const principals = new WeakMap<Request, Principal>();

/** The principal `useAuth` found for `request`; the open one when `auth` is not configured. */
export function principalOf(request: Request | undefined): Principal {
  return (request === undefined ? undefined : principals.get(request)) ?? OPEN_PRINCIPAL;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

export function useAuth(authenticator: Authenticator, logger: Logger): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (PUBLIC_PATHS.has(url.pathname)) return;
      if (PUBLIC_PAGES.has(url.pathname) && (request.method === 'GET' || request.method === 'HEAD')) return;
      const outcome = await authenticator.authenticate(request.headers.get('authorization'));
      if (!outcome.ok) {
        logger.warn(
          { reqId: requestIdOf(request), path: url.pathname, reason: outcome.detail },
          'unauthenticated',
        );
        endResponse(
          new fetchAPI.Response(errorBody('UNAUTHENTICATED', outcome.message), {
            status: 401,
            headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="cachegate"' },
          }),
        );
        return;
      }
      if (url.pathname === METRICS_PATH && !hasRole(outcome.principal, 'operator')) {
        endResponse(
          new fetchAPI.Response(
            errorBody(
              'FORBIDDEN',
              `GET ${METRICS_PATH} needs the operator role, but this token has the ${outcome.principal.role} role. Use an operator token.`,
            ),
            { status: 403, headers: { 'content-type': 'application/json' } },
          ),
        );
        return;
      }
      principals.set(request, outcome.principal);
    },
  };
}
