/**
 * The access part of the config (DESIGN §3–§4): `auth` (bearer tokens with roles, JWT),
 * `cors` (browser origins) and the production switches. Kept beside `schema.ts` so the table
 * schema and this one change independently. Messages never echo a secret's value.
 */
import { z } from 'zod';
import { ROLES } from './access-types.js';

/** Shorter static tokens are guessable; 16 characters is the floor, `openssl rand -hex 32` the advice. */
export const MIN_TOKEN_LENGTH = 16;
/** RFC 7518 §3.2: an HMAC key at least as long as the hash (HS256 → 32 bytes). */
export const MIN_JWT_SECRET_LENGTH = 32;

const secret = (what: string, min: number) =>
  z
    .string({ error: `expected ${what} as a string` })
    .refine(
      (s) => s.length >= min,
      `expected ${what} of at least ${min} characters (e.g. openssl rand -hex 32)`,
    );

const role = z.enum(ROLES, { error: `expected a role: ${ROLES.join(' | ')}` });

const tokenSchema = z.strictObject({ token: secret('a token', MIN_TOKEN_LENGTH), role });

const httpUrl = z.string().refine((s) => {
  try {
    const { protocol } = new URL(s);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}, 'expected an http(s) URL of a JSON Web Key Set');

const jwtSchema = z
  .strictObject({
    secret: secret('an HMAC secret', MIN_JWT_SECRET_LENGTH).optional(),
    jwksUrl: httpUrl.optional(),
    issuer: z.string().min(1).optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    roleClaim: z.string().min(1).default('role'),
  })
  .superRefine((j, ctx) => {
    if ((j.secret === undefined) === (j.jwksUrl === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected either "secret" (HS256) or "jwksUrl" (RS256, ES256, EdDSA…), not ${j.secret === undefined ? 'neither' : 'both'}`,
      });
    }
  });

export const authSchema = z
  .strictObject({ tokens: z.array(tokenSchema).optional(), jwt: jwtSchema.optional() })
  .superRefine((a, ctx) => {
    if ((a.tokens === undefined || a.tokens.length === 0) && a.jwt === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected "tokens" or "jwt" (or both): no client could sign in',
      });
    }
    const seen = new Set<string>();
    for (const [i, t] of (a.tokens ?? []).entries()) {
      if (seen.has(t.token))
        ctx.addIssue({
          code: 'custom',
          path: ['tokens', i, 'token'],
          message: 'the same token appears twice',
        });
      seen.add(t.token);
    }
  })
  .transform((a) => ({
    tokens: a.tokens ?? [],
    ...(a.jwt === undefined ? {} : { jwt: dropUndefined(a.jwt) }),
  }));

/** `*` or an exact origin (`https://app.example.com`, `http://localhost:5173`): no path, no slash. */
const origin = z.string().refine((s) => {
  if (s === '*') return true;
  try {
    return new URL(s).origin === s;
  } catch {
    return false;
  }
}, 'expected an origin such as "https://app.example.com" (scheme, host and port only) or "*"');

export const corsSchema = z.strictObject({ origins: z.array(origin) });

/** The keys `configSchema` spreads into its top-level object. */
export const accessKeys = {
  auth: authSchema.optional(),
  cors: corsSchema.optional(),
  /** Host names a server without auth answers besides IP addresses and localhost (DNS rebinding). */
  allowedHosts: z
    .array(
      z
        .string()
        .min(1)
        .regex(
          /^(\*|[A-Za-z0-9.-]+)$/,
          'expected a host name such as "cache.internal" (no scheme or port), or "*"',
        ),
    )
    .optional(),
  /** Each defaults to on, except with NODE_ENV=production (see `server/production.ts`). */
  graphiql: z.boolean().optional(),
  introspection: z.boolean().optional(),
  suggestions: z.boolean().optional(),
};

function dropUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
