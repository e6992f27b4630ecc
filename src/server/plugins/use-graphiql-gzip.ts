/**
 * Sends the GraphiQL page gzipped to browsers that accept it: the page inlines all its assets
 * (~9 MB, 2.4 MB gzipped), and yoga's GraphiQL plugin sets no encoding of its own. The page is
 * the only HTML answer of the GraphQL endpoint, so that is how it is recognised.
 */
import type { Plugin } from 'graphql-yoga';
import type { GraphiQLRenderer } from '../graphiql.js';

export function useGraphiQLGzip(renderer: GraphiQLRenderer, endpoint: string): Plugin {
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (request.method !== 'GET' || !response.headers.get('content-type')?.startsWith('text/html')) return;
      if (new URL(request.url).pathname.replace(/\/$/, '') !== endpoint) return;
      const accepts = request.headers.get('accept-encoding') ?? '';
      if (!/\bgzip\b/.test(accepts)) return;
      const gzipped = await renderer.gzipped();
      if (gzipped === undefined) return;
      setResponse(
        new fetchAPI.Response(gzipped, {
          status: response.status,
          headers: { 'content-type': 'text/html', 'content-encoding': 'gzip', vary: 'accept-encoding' },
        }),
      );
    },
  };
}
