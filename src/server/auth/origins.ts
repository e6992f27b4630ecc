/**
 * Which browser origins may call the server (`cors.origins`, default none). Used twice: for the
 * CORS headers of HTTP answers, and to refuse a WebSocket upgrade from a page of another origin
 * (browsers do not apply CORS to WebSockets, so a hostile page could otherwise open one).
 */
import type { CorsConfig } from '../../config/types.js';

export interface OriginPolicy {
  /** True for a listed origin (or any, with `*`). */
  allows(origin: string): boolean;
  /**
   * The WebSocket upgrade rule: no `Origin` is a non-browser client (allowed); a browser page
   * may connect from a listed origin or from the server's own (GraphiQL).
   */
  allowsUpgrade(origin: string | undefined, host: string | undefined): boolean;
  /** yoga's `cors` option: headers only for listed origins, never with credentials. */
  yogaCors(request: Request): YogaCorsOptions | false;
}

export interface YogaCorsOptions {
  origin: string;
  credentials: boolean;
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAge: number;
}

export function createOriginPolicy(cors: CorsConfig | undefined): OriginPolicy {
  const origins = new Set(cors?.origins ?? []);
  const any = origins.has('*');
  const allows = (origin: string) => any || origins.has(origin);
  return {
    allows,
    allowsUpgrade(origin, host) {
      if (origin === undefined) return true;
      if (allows(origin)) return true;
      try {
        return host !== undefined && new URL(origin).host === host.toLowerCase();
      } catch {
        return false;
      }
    },
    yogaCors(request) {
      const origin = request.headers.get('origin');
      if (origin === null || !allows(origin)) return false;
      return {
        // The caller's exact origin, never a reflected wildcard with credentials: tokens travel
        // in the Authorization header, so browsers' cookies are never needed (nor accepted).
        origin: any ? '*' : origin,
        credentials: false,
        methods: ['GET', 'POST'],
        allowedHeaders: ['authorization', 'content-type', 'accept', 'x-request-id'],
        exposedHeaders: ['x-request-id'],
        maxAge: 600,
      };
    },
  };
}
