/**
 * Bytes of an HTTP request body: refused from `content-length` before reading, and counted
 * while streaming when there is none (chunked). Replaces yoga's own cap (25 MB, its own code).
 */
import type { Plugin } from 'graphql-yoga';
import { limitExceeded } from '../limit-error.js';

export function useBodyLimit(max: number): Plugin {
  const tooLarge = (actual?: number) =>
    limitExceeded(
      'requestBodyBytes',
      max,
      'The request body is too large. Send fewer IDs per request, or warm them in several calls.',
      actual === undefined ? {} : { actual },
    );
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) {
        throw tooLarge(Number(declared));
      }
      if (requestParser === undefined || request.body === null) return;
      const parse = requestParser;
      setRequestParser((req) => {
        let read = 0;
        // yoga's own limiter does the same: a native body needs the native TransformStream.
        const Transform = req.body instanceof ReadableStream ? TransformStream : fetchAPI.TransformStream;
        const body = req.body?.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.byteLength;
              if (read > max) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        // duplex: a streamed body needs it in Node's Request; the DOM typings lack it.
        const init = { method: req.method, headers: req.headers, signal: req.signal, body, duplex: 'half' };
        return parse(new fetchAPI.Request(req.url, init as RequestInit));
      });
    },
  };
}
