// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} strings are the feature under test.
/** The `auth`, `cors` and exposure keys of the config: checked at start-up, secrets never echoed. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

const TABLES = { tables: { movies: { columns: { title: 'String' } } } };
const parse = (extra: Record<string, unknown>, env: Record<string, string> = {}) =>
  parseConfig({ ...TABLES, ...extra }, '/tmp', env);

describe('access config', () => {
  it('reads tokens from the environment and defaults roleClaim to "role"', () => {
    const config = parse(
      {
        auth: {
          tokens: [{ token: '${CG_TOKEN}', role: 'operator' }],
          jwt: { secret: '${CG_SECRET}', issuer: 'https://id.test' },
        },
        cors: { origins: ['https://app.example.com', 'http://localhost:5173'] },
        introspection: true,
      },
      { CG_TOKEN: 'a-long-enough-token-value', CG_SECRET: 's'.repeat(32) },
    );
    expect(config.auth).toEqual({
      tokens: [{ token: 'a-long-enough-token-value', role: 'operator' }],
      jwt: { secret: 's'.repeat(32), issuer: 'https://id.test', roleClaim: 'role' },
    });
    expect(config.cors).toEqual({ origins: ['https://app.example.com', 'http://localhost:5173'] });
    expect(config.introspection).toBe(true);
    expect(config.graphiql).toBeUndefined();
  });

  it.each([
    {
      case: 'a short token',
      extra: { auth: { tokens: [{ token: 'hunter2', role: 'reader' }] } },
      message: /auth\.tokens\[0\]\.token: expected a token of at least 16 characters/,
    },
    {
      case: 'an unknown role',
      extra: { auth: { tokens: [{ token: 'x'.repeat(20), role: 'admin' }] } },
      message: /auth\.tokens\[0\]\.role: expected one of "reader" \| "operator"/,
    },
    { case: 'auth without tokens or jwt', extra: { auth: {} }, message: /auth: expected "tokens" or "jwt"/ },
    {
      case: 'jwt with both secret and jwksUrl',
      extra: { auth: { jwt: { secret: 's'.repeat(32), jwksUrl: 'https://id.test/jwks' } } },
      message: /auth\.jwt: expected either "secret" \(HS256\) or "jwksUrl".*not both/,
    },
    {
      case: 'a short jwt secret',
      extra: { auth: { jwt: { secret: 'short' } } },
      message: /auth\.jwt\.secret: expected an HMAC secret of at least 32 characters/,
    },
    {
      case: 'an origin with a path',
      extra: { cors: { origins: ['https://app.example.com/'] } },
      message: /cors\.origins\[0\]: expected an origin such as/,
    },
  ])('refuses $case, naming the key', ({ extra, message }) => {
    let error: unknown;
    try {
      parse(extra);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('names an unset token variable', () => {
    expect(() => parse({ auth: { tokens: [{ token: '${CG_MISSING}', role: 'reader' }] } })).toThrow(
      /environment variable CG_MISSING is not set/,
    );
  });
});
