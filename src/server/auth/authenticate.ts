/**
 * Turns an `Authorization` header into a Principal, or a client-safe reason why not. Static
 * tokens are compared in constant time; JWTs are checked with `jose` against an HMAC secret or
 * a remote JWKS (fetched, cached and refreshed on key rotation by jose).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTVerifyOptions, jwtVerify } from 'jose';
import type { AuthConfig, JwtConfig, Role } from '../../config/types.js';
import type { Principal } from './principal.js';

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      /** Short and stable, for the WebSocket close reason (123 bytes at most). */
      short: string;
      /** Sent to the client: says what to do, never which part of a secret was wrong. */
      message: string;
      /** For the server log: the precise cause. */
      detail: string;
    };

export interface Authenticator {
  authenticate(authorization: string | null | undefined): Promise<AuthOutcome>;
}

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
// Asymmetric only: an HMAC algorithm with a public key as "secret" is the classic alg confusion.
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const JWKS_TIMEOUT_MS = 5_000;

export const MISSING_MESSAGE =
  'Missing credentials: send "Authorization: Bearer <token>" over HTTP, or { "authorization": "Bearer <token>" } as the graphql-ws connection_init payload.';
const REJECTED_MESSAGE =
  'The bearer token was not accepted: it is neither a configured token nor a valid JWT for this server. Check the token, or ask for a new one.';

const digest = (s: string) => createHash('sha256').update(s).digest();

function fail(short: string, message: string, detail: string): AuthOutcome {
  return { ok: false, short, message, detail };
}

export function createAuthenticator(auth: AuthConfig): Authenticator {
  const tokens = auth.tokens.map((t, i) => ({
    hash: digest(t.token),
    role: t.role,
    subject: `token#${i + 1}`,
  }));
  const verifyJwt = auth.jwt === undefined ? undefined : createJwtVerifier(auth.jwt);

  return {
    async authenticate(authorization) {
      if (authorization === null || authorization === undefined || authorization.trim() === '')
        return fail('missing credentials', MISSING_MESSAGE, 'no credentials');
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
      if (m === null)
        return fail(
          'malformed authorization',
          'The Authorization header must be "Bearer <token>".',
          'malformed authorization header',
        );
      const token = m[1]!;
      // Every configured token is compared, so the time taken does not say which one came close.
      const hash = digest(token);
      let match: (typeof tokens)[number] | undefined;
      for (const t of tokens) if (timingSafeEqual(t.hash, hash)) match = t;
      if (match !== undefined)
        return { ok: true, principal: { role: match.role, via: 'token', subject: match.subject } };
      if (verifyJwt !== undefined && token.split('.').length === 3) return verifyJwt(token);
      return fail('token not accepted', REJECTED_MESSAGE, 'unknown token');
    },
  };
}

function createJwtVerifier(jwt: JwtConfig): (token: string) => Promise<AuthOutcome> {
  const options: JWTVerifyOptions = {
    algorithms: jwt.secret !== undefined ? HMAC_ALGORITHMS : JWKS_ALGORITHMS,
    ...(jwt.issuer === undefined ? {} : { issuer: jwt.issuer }),
    ...(jwt.audience === undefined ? {} : { audience: jwt.audience }),
  };
  const secret = jwt.secret === undefined ? undefined : new TextEncoder().encode(jwt.secret);
  const jwks =
    jwt.jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(new URL(jwt.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS });

  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      payload = (
        secret !== undefined
          ? await jwtVerify(token, secret, options)
          : await jwtVerify(token, jwks!, options)
      ).payload;
    } catch (error) {
      return jwtFailure(error);
    }
    const role = roleOf(payload, jwt.roleClaim);
    if (role === undefined) {
      return fail(
        'token has no role',
        `The token carries no cachegate role in its "${jwt.roleClaim}" claim (expected "reader" or "operator"). Ask for a token with a role.`,
        `jwt without a role in claim ${jwt.roleClaim}`,
      );
    }
    const sub = typeof payload['sub'] === 'string' ? payload['sub'] : undefined;
    return { ok: true, principal: { role, via: 'jwt', ...(sub === undefined ? {} : { subject: sub }) } };
  };
}

function jwtFailure(error: unknown): AuthOutcome {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (error instanceof errors.JWTExpired)
    return fail('token expired', 'The token has expired. Get a new one.', detail);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return fail(
      `token ${error.claim} not accepted`,
      `The token's "${error.claim}" claim is not accepted by this server (${error.reason}). Get a token issued for it.`,
      detail,
    );
  }
  // A key set that cannot be fetched is the server's problem, not the client's token.
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
    return fail(
      'token cannot be checked now',
      'The token could not be checked now (the key set of the identity provider is unreachable). Retry later.',
      detail,
    );
  }
  return fail('token not accepted', REJECTED_MESSAGE, detail);
}

/** The highest role named by the claim at dot path `claim` (a string, or an array of strings). */
export function roleOf(payload: Record<string, unknown>, claim: string): Role | undefined {
  let value: unknown = payload;
  for (const key of claim.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  const names = Array.isArray(value) ? value : [value];
  if (names.includes('operator')) return 'operator';
  if (names.includes('reader')) return 'reader';
  return undefined;
}
