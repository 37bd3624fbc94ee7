import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../server/auth/tokens.js';
import { DEVELOPMENT_JWT_SECRET } from '../server/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'token-cli-test-secret-0123456789abcdef';

function runCli(args: string[], env: Record<string, string> = { AUTH_JWT_SECRET: SECRET }) {
  const { DATABASE_URL: _ignored, AUTH_JWT_SECRET: _secret, ...inherited } = process.env;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/cli/token.ts', ...args],
      { cwd: root, env: { ...inherited, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run token', () => {
  it('prints only a token that the service accepts, with the roles, subject and lifetime asked for', async () => {
    const { code, stdout, stderr } = await runCli(['--role', 'affiliate_admin', '--role', 'partner_manager', '--sub', 'ops-1', '--ttl', '30m']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = stdout.trim();
    expect(await createTokenVerifier({ secret: SECRET })(token)).toEqual({
      userId: 'ops-1',
      roles: ['affiliate_admin', 'partner_manager'],
    });
    const { exp, iat } = decodeJwt(token);
    expect(exp! - iat!).toBe(30 * 60);
  });

  it('defaults to a one-hour token with a fresh subject, signed with the development secret when none is set', async () => {
    const { code, stdout } = await runCli(['--role', 'compliance_officer', '--ttl', '7d'], {});
    expect(code).toBe(0);
    const verified = await createTokenVerifier({ secret: DEVELOPMENT_JWT_SECRET })(stdout.trim());
    expect(verified.roles).toEqual(['compliance_officer']);
    expect(verified.userId).toMatch(/^[0-9a-f-]{36}$/);
    const { exp, iat } = decodeJwt(stdout.trim());
    expect(exp! - iat!).toBe(7 * 86_400);
    await expect(createTokenVerifier({ secret: SECRET })(stdout.trim())).rejects.toThrow(/not valid/);

    const defaults = await runCli(['--role', 'program_manager']);
    const claims = decodeJwt(defaults.stdout.trim());
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('exits 1 with a message on stderr and nothing on stdout for bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [[], /at least one --role/],
      [['--role', 'superuser'], /unknown role superuser/],
      [['--role', 'affiliate_admin', '--ttl', '10 minutes'], /--ttl/],
      [['--role', 'affiliate_admin', '--ttl', '0h'], /--ttl/],
      [['--role', 'affiliate_admin', '--sub', ''], /--sub/],
      [['--role', 'affiliate_admin', '--bogus'], /Unknown option '--bogus'/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, i) => {
      expect(result, `args ${JSON.stringify(cases[i]![0])}`).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(cases[i]![1]);
    });
  });
});
