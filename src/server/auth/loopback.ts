/**
 * Without `auth` anyone who reaches the server may invalidate tables and start upstream work,
 * so it binds only to loopback (DESIGN §4) unless told `insecure`.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError } from '../../errors.js';

function isLoopbackAddress(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6.startsWith('::ffff:127.');
}

/** True when every address `host` names is a loopback one (a name is resolved first). */
export async function isLoopbackHost(host: string): Promise<boolean> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0) return isLoopbackAddress(bare);
  try {
    const addresses = await lookup(bare, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackAddress(a.address));
  } catch {
    // Unresolvable here means listen() fails with its own error; this check stays out of its way.
    return true;
  }
}

export async function assertSafeBind(host: string, hasAuth: boolean, insecure: boolean): Promise<void> {
  if (hasAuth || insecure || (await isLoopbackHost(host))) return;
  throw new ConfigError(
    `Refusing to listen on ${host} without "auth" in the config: anyone who can reach it could invalidate tables and start upstream fetches. Add auth (docs/access.md), bind to 127.0.0.1, or pass --insecure.`,
  );
}
