/** `GET /health`: 200 when the cache folder can be read and written, 503 (with the reason) when not. */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { Plugin } from 'graphql-yoga';

export const HEALTH_PATH = '/health';

export function useHealth(cacheDir: string): Plugin {
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (url.pathname !== HEALTH_PATH || request.method !== 'GET') return;
      let body: { status: string; reason?: string };
      try {
        // The folder may not exist before the first write; creating it is what a write would do.
        await mkdir(cacheDir, { recursive: true });
        await access(cacheDir, constants.R_OK | constants.W_OK);
        body = { status: 'ok' };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
        body = { status: 'unavailable', reason: `cache folder not readable and writable (${code})` };
      }
      endResponse(
        new fetchAPI.Response(JSON.stringify(body), {
          status: body.status === 'ok' ? 200 : 503,
          headers: { 'content-type': 'application/json' },
        }),
      );
    },
  };
}
