import { createSecretKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../../db/schema/users.js';
import { AppError } from '../errors.js';

export interface TokenVerifierOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  roles: z.array(z.string()),
  exp: z.number(),
});

export interface VerifiedToken {
  userId: string;
  /** Known roles only; unknown role names in the token are dropped. */
  roles: Role[];
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const key: KeyObject | JWTVerifyGetKey = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : // A KeyObject made once, so each verification does not import the secret again.
      createSecretKey(new TextEncoder().encode(options.secret));
  const verifyOptions = {
    algorithms: options.jwksUrl ? ['RS256', 'ES256', 'EdDSA'] : ['HS256'],
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['exp', 'sub'],
  };
  return async (token) => {
    let payload: unknown;
    try {
      // Both overloads of jwtVerify accept these; TypeScript cannot pick one for a union.
      ({ payload } = await jwtVerify(token, key as KeyObject, verifyOptions));
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'the token has expired'
          : error instanceof joseErrors.JOSEError
            ? `the token is not valid (${error.code})`
            : 'the token is not valid';
      throw new AppError('UNAUTHORIZED', `Unauthorized: ${reason}`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      throw new AppError('UNAUTHORIZED', 'Unauthorized: the token needs the claims sub, roles (array) and exp');
    }
    const roles = claims.data.roles.filter((role): role is Role => (ROLES as readonly string[]).includes(role));
    return { userId: claims.data.sub, roles };
  };
}

export async function signToken(options: {
  secret: string;
  sub: string;
  roles: string[];
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}): Promise<string> {
  let jwt = new SignJWT({ roles: options.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
