/** Refuses HTTP requests whose Host the policy does not allow (see auth/hosts.ts): 403, FORBIDDEN. */
import type { Plugin } from 'graphql-yoga';
import type { HostPolicy } from '../auth/hosts.js';

export function useHostCheck(policy: HostPolicy): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const refusal = policy.refusal(request.headers.get('host'));
      if (refusal === undefined) return;
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({ errors: [{ message: refusal, extensions: { code: 'FORBIDDEN' } }] }),
          { status: 403, headers: { 'content-type': 'application/json' } },
        ),
      );
    },
  };
}
