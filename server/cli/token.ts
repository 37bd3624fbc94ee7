/**
 * Signs a development token for the configured secret:
 *   npm run token -- --role affiliate_admin [--role partner_manager] [--sub ID] [--ttl 1h]
 * Prints only the token, so `TOKEN=$(npm run -s token -- --role affiliate_admin)` works.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../../db/schema/users.js';
import { signToken } from '../auth/tokens.js';
import { jwtSecret, loadConfig } from '../config.js';

const USAGE = `usage: npm run token -- --role <${ROLES.join('|')}> [--role …] [--sub ID] [--ttl 30m|1h|7d]`;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

class UsageError extends Error {}

function parseTtl(ttl: string): number {
  const match = /^(\d+)([smhd])$/.exec(ttl);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : 0;
  if (seconds <= 0) throw new UsageError(`--ttl must be a positive number with a unit s, m, h or d (e.g. 30m), not "${ttl}"`);
  return seconds;
}

async function main(args: string[]): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        role: { type: 'string', multiple: true },
        sub: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const roles = values.role ?? [];
  if (roles.length === 0) throw new UsageError('at least one --role is required');
  const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown.length > 0) throw new UsageError(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);

  if (values.sub !== undefined && values.sub.trim() === '') throw new UsageError('--sub must not be empty');

  const config = loadConfig();
  if (config.AUTH_JWKS_URL) {
    throw new Error('AUTH_JWKS_URL is set: tokens come from that identity provider, this tool cannot sign them');
  }
  return signToken({
    secret: jwtSecret(config),
    sub: values.sub ?? randomUUID(),
    roles: roles as Role[],
    ttlSeconds: parseTtl(values.ttl),
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });
}

main(process.argv.slice(2)).then(
  (token) => process.stdout.write(`${token}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    process.exitCode = 1;
  },
);
