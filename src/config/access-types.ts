/** Config types of access control (DESIGN §4 "Access"); re-exported by `types.ts`. */

export const ROLES = ['reader', 'operator'] as const;
/** `reader`: the table queries, `rows`, `job(id)`, `fetchProgress(jobId)`. `operator`: everything. */
export type Role = (typeof ROLES)[number];

export interface AuthTokenConfig {
  token: string;
  role: Role;
}

export interface JwtConfig {
  /** HMAC secret (HS256/384/512); exactly one of `secret` and `jwksUrl`. */
  secret?: string;
  /** JSON Web Key Set of an identity provider (asymmetric algorithms only). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string | string[];
  /** Dot path of the claim holding the role (a string or an array of strings). */
  roleClaim: string;
}

export interface AuthConfig {
  tokens: AuthTokenConfig[];
  jwt?: JwtConfig;
}

export interface CorsConfig {
  /** Origins browsers may call from; `*` for any (never with credentials). */
  origins: string[];
}

/** Keys of `CacheGateConfig` about access; all optional so that configs built in code stay valid. */
export interface AccessConfig {
  /** Without it the server binds only to loopback (unless told `insecure`). */
  auth?: AuthConfig | undefined;
  /** Default: no cross-origin browser access. */
  cors?: CorsConfig | undefined;
  /**
   * Without `auth`, the Host names answered besides IP addresses and localhost (`*`: any); other
   * names get 403, so a DNS-rebinding page cannot reach the server. Ignored with `auth`.
   */
  allowedHosts?: string[] | undefined;
  /** GraphiQL page; default on, off with NODE_ENV=production. */
  graphiql?: boolean | undefined;
  /** Schema introspection; default on, off with NODE_ENV=production. */
  introspection?: boolean | undefined;
  /** "Did you mean …?" in validation errors; default on, off with NODE_ENV=production. */
  suggestions?: boolean | undefined;
}
