import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../server/auth/tokens.js';

/** A real JWKS endpoint on loopback, as an identity provider would serve it. */
const { publicKey, privateKey } = await generateKeyPair('ES256');
const { privateKey: strangerKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
const jwksServer: Server = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));
const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

function token(key: CryptoKey, claims: Record<string, unknown>, options: { kid?: string; audience?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1' })
    .setSubject('user-from-idp')
    .setIssuer('https://id.example.com')
    .setAudience(options.audience ?? 'affiliate-ops')
    .setExpirationTime('10m')
    .sign(key);
}

describe('tokens verified with the keys of AUTH_JWKS_URL', () => {
  const verify = createTokenVerifier({ jwksUrl, issuer: 'https://id.example.com', audience: 'affiliate-ops' });

  it('accepts a token signed by a key of the set, with its roles', async () => {
    await expect(verify(await token(privateKey, { roles: ['compliance_officer', 'unknown_role'] }))).resolves.toEqual({
      userId: 'user-from-idp',
      roles: ['compliance_officer'],
    });
  });

  it('refuses a token signed by another key, or meant for another audience, as UNAUTHORIZED', async () => {
    await expect(verify(await token(strangerKey, { roles: ['affiliate_admin'] }))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(verify(await token(privateKey, { roles: ['affiliate_admin'] }, { audience: 'another-service' }))).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });

  it('refuses an HS256 token even when it is signed with something the server knows', async () => {
    const hs = await new SignJWT({ roles: ['affiliate_admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('https://id.example.com')
      .setAudience('affiliate-ops')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    await expect(verify(hs)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
