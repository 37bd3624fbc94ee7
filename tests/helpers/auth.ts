import { randomUUID } from 'node:crypto';
import type { Role } from '../../db/schema/users.js';
import { signToken } from '../../server/auth/tokens.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export function tokenFor(roles: Role[] | string[], options: { sub?: string; ttlSeconds?: number; secret?: string } = {}) {
  return signToken({
    secret: options.secret ?? TEST_JWT_SECRET,
    sub: options.sub ?? randomUUID(),
    roles,
    ttlSeconds: options.ttlSeconds,
  });
}
