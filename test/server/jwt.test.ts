/**
 * JWT bearer tokens: an HS256 secret, and a JWKS served by a real HTTP server on 127.0.0.1 with
 * a key pair generated here. Expired, wrong-issuer, wrong-audience, role-less, foreign-key and
 * algorithm-confusion tokens are refused with 401; roles come from the configured claim.
 */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwtConfig } from '../../src/config/types.js';
import { FetchProgressDocument } from '../gql/graphql.js';
import { bearer, codesOf, postGraphQL } from '../helpers/http-graphql.js';
import { type TestServer as HttpServer, sendJson, startHttpServer } from '../helpers/http-server.js';
import { serverTempDir, startTestServer, type TestServer, testConfig } from '../helpers/server.js';
import { createWsClient, untilFirst } from '../helpers/ws-client.js';

const SECRET = 'hs256-secret-of-at-least-32-characters!';
const ISSUER = 'https://id.example.test';
const AUDIENCE = 'cachegate';
const OPERATOR_ONLY = '{ cacheStats { table } }';
const now = () => Math.floor(Date.now() / 1000);

async function startWithJwt(jwt: JwtConfig): Promise<TestServer> {
  const config = await testConfig(await serverTempDir());
  return startTestServer({ config: { ...config, auth: { tokens: [], jwt } } });
}

/** The outcome of `OPERATOR_ONLY` with `token`: 'operator', 'reader' (FORBIDDEN) or the 401 message. */
async function roleSeen(server: TestServer, token: string): Promise<string> {
  const { status, body } = await postGraphQL(server.url, OPERATOR_ONLY, bearer(token));
  if (status === 401) return `401: ${body.errors?.[0]?.message}`;
  return codesOf(body).some((c) => c.code === 'FORBIDDEN') ? 'reader' : 'operator';
}

describe('HS256 secret', () => {
  let server: TestServer;
  const key = new TextEncoder().encode(SECRET);
  const sign = (claims: JWTPayload, options: { exp?: number; iss?: string; aud?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? now() + 600)
      .sign(key);

  beforeAll(async () => {
    server = await startWithJwt({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE, roleClaim: 'role' });
  });
  afterAll(() => server.stop());

  it.each([
    { case: 'role "operator"', claims: { role: 'operator' }, seen: 'operator' },
    { case: 'role "reader"', claims: { role: 'reader' }, seen: 'reader' },
    { case: 'roles as an array', claims: { role: ['reader', 'operator'] }, seen: 'operator' },
  ])('accepts a token with $case', async ({ claims, seen }) => {
    expect(await roleSeen(server, await sign(claims))).toBe(seen);
  });

  it.each([
    { case: 'expired', token: () => sign({ role: 'operator' }, { exp: now() - 60 }), message: /has expired/ },
    {
      case: 'from another issuer',
      token: () => sign({ role: 'operator' }, { iss: 'https://evil.test' }),
      message: /"iss" claim is not accepted/,
    },
    {
      case: 'for another audience',
      token: () => sign({ role: 'operator' }, { aud: 'other-service' }),
      message: /"aud" claim is not accepted/,
    },
    {
      case: 'without a role',
      token: () => sign({ scope: 'read' }),
      message: /no cachegate role in its "role" claim/,
    },
    { case: 'with an unknown role', token: () => sign({ role: 'admin' }), message: /no cachegate role/ },
    {
      case: 'signed with another secret',
      token: () =>
        new SignJWT({ role: 'operator' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime(now() + 600)
          .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters')),
      message: /not accepted/,
    },
    {
      case: 'unsigned (alg none)',
      token: async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ role: 'operator', iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`,
      message: /not accepted/,
    },
  ])('refuses a token $case with 401', async ({ token, message }) => {
    expect(await roleSeen(server, await token())).toMatch(/^401: /);
    expect(await roleSeen(server, await token())).toMatch(message);
  });
});

describe('JWKS from a real HTTP server', () => {
  let jwks: HttpServer;
  let server: TestServer;
  let signEs: (claims: JWTPayload) => Promise<string>;
  let signForeign: (claims: JWTPayload) => Promise<string>;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    const foreign = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = await startHttpServer((_req, res) => sendJson(res, 200, { keys: [jwk] }));
    const signWith = (key: CryptoKey, kid: string) => (claims: JWTPayload) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ISSUER)
        .setExpirationTime(now() + 600)
        .sign(key);
    signEs = signWith(pair.privateKey, 'k1');
    signForeign = signWith(foreign.privateKey, 'k1');
    server = await startWithJwt({
      jwksUrl: `${jwks.url}/.well-known/jwks.json`,
      issuer: ISSUER,
      roleClaim: 'realm_access.roles',
    });
  });
  afterAll(async () => {
    await server.stop();
    await jwks.close();
  });

  it('takes the role from a nested claim of a token signed by a key of the set', async () => {
    expect(await roleSeen(server, await signEs({ realm_access: { roles: ['reader'] } }))).toBe('reader');
    expect(await roleSeen(server, await signEs({ realm_access: { roles: ['operator'] } }))).toBe('operator');
    expect(jwks.requests.length).toBeGreaterThan(0);
    expect(jwks.requests[0]?.url).toBe('/.well-known/jwks.json');
  });

  it('refuses a token signed by a key outside the set, and an HS256 token (algorithm confusion)', async () => {
    expect(await roleSeen(server, await signForeign({ realm_access: { roles: ['operator'] } }))).toMatch(
      /^401: .*not accepted/,
    );
    const hs = await new SignJWT({ realm_access: { roles: ['operator'] } })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode(SECRET));
    expect(await roleSeen(server, hs)).toMatch(/^401: .*not accepted/);
  });

  it('accepts a JWT in the graphql-ws connection_init payload', async () => {
    const token = await signEs({ realm_access: { roles: ['operator'] } });
    const ws = createWsClient(server.wsUrl, { connectionParams: { authorization: `Bearer ${token}` } });
    try {
      const events = ws.subscribe(FetchProgressDocument, { table: 'movies' });
      const first = events.next();
      const seen = await untilFirst(first, async (n) => {
        const { body } = await postGraphQL(
          server.url,
          `mutation { warm(table: "movies", ids: ["${8800 + n}"]) { id } }`,
          bearer(token),
        );
        expect(body.errors).toBeUndefined();
      });
      expect(seen.value?.errors).toBeUndefined();
      expect(seen.value?.data?.fetchProgress.table).toBe('movies');
      await events.return?.();
    } finally {
      await ws.close();
    }
  });
});
