/**
 * DNS rebinding: a hostile page on `evil.example` can make its own name resolve to 127.0.0.1,
 * and the browser then treats this server as same-origin with that page — no CORS applies, and
 * the WebSocket Origin check passes (origin and Host are both `evil.example`). Without `auth`
 * nothing else stands in the way, so such a server answers only requests whose `Host` is an IP
 * address, `localhost` (or a `*.localhost` name), or a name listed in `allowedHosts`. With
 * `auth`, a rebinding page still has no token, so every Host is accepted.
 */
import { isIP } from 'node:net';

export interface HostPolicy {
  /** Why a request with this Host header is refused, or undefined when it is allowed. */
  refusal(host: string | null | undefined): string | undefined;
}

/** The name part of a Host header: `[::1]:4000` → `::1`, `Example.com:80` → `example.com`. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  const name = colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
  // A fully qualified name (`localhost.`) is the same name, with or without a port.
  return name.replace(/\.$/, '');
}

export function createHostPolicy(options: {
  hasAuth: boolean;
  allowedHosts?: readonly string[] | undefined;
}): HostPolicy {
  const listed = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')));
  const any = listed.has('*');
  return {
    refusal(host) {
      if (options.hasAuth || any) return undefined;
      if (host === null || host === undefined || host.trim() === '') {
        return 'the request has no Host header';
      }
      const name = hostName(host);
      if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || listed.has(name)) {
        return undefined;
      }
      return `Host ${JSON.stringify(name)} is not allowed: a server without auth answers only IP addresses, localhost and the names in "allowedHosts" (protection against DNS rebinding). Add the name to "allowedHosts" in the config, or configure auth.`;
    },
  };
}
