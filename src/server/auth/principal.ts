/** Who is asking: the role a request or socket acts with, and a name for the logs. */
import type { Role } from '../../config/types.js';

export interface Principal {
  role: Role;
  /** How it signed in: a static token, a JWT, or nothing because `auth` is not configured. */
  via: 'token' | 'jwt' | 'open';
  /** For logs only: `token#2` (1-based position in auth.tokens) or the JWT's `sub`. */
  subject?: string;
}

/** Without `auth` the server is loopback-only (DESIGN §4), and whoever reaches it may do anything. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ role: 'operator', via: 'open' });

const RANK: Record<Role, number> = { reader: 0, operator: 1 };

export function hasRole(principal: Principal, needed: Role): boolean {
  return RANK[principal.role] >= RANK[needed];
}
