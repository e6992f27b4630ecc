/**
 * Cross-site request forgery: a web page can POST a form (urlencoded, multipart or text/plain)
 * to any address without a CORS preflight. Only JSON bodies are accepted, which a browser sends
 * cross-origin only after a preflight that `cors.origins` answers. GET cannot run mutations
 * (yoga refuses them), so it needs no check here.
 */
import type { Plugin } from 'graphql-yoga';

const ALLOWED = new Set([
  'application/json',
  'application/graphql-response+json',
  'application/graphql+json',
]);

export function useCsrf(graphqlEndpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'POST' || url.pathname !== graphqlEndpoint) return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (ALLOWED.has(type)) return;
      const message = `POST bodies must be application/json, but got ${type === '' ? 'no content-type' : JSON.stringify(type)}: form, multipart and text/plain bodies are refused to prevent cross-site request forgery.`;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_INPUT' } }] }), {
          status: 415,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
