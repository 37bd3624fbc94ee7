import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const server = await startTestServer(database);

describe('service endpoints', () => {
  it('is alive and ready once the database, migrations and scheduler are up', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: true, migrations: true, scheduler: true },
    });
  });

  it('exposes Prometheus metrics that count tRPC calls by procedure', async () => {
    await (await server.client()).system.ping.query();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/trpc\/system\.ping",status="200"\} \d+/);
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('sends security headers and echoes a request id', async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'req-abc.1' } });
    expect(response.headers.get('x-request-id')).toBe('req-abc.1');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toContain('max-age');
  });

  it('answers a typed call with a token and refuses one without', async () => {
    const me = await (await server.client(['compliance_officer'], { sub: 'someone' })).users.me.query();
    expect(me).toEqual({ userId: 'someone', roles: ['compliance_officer'], user: null });
    const anonymous = await server.client();
    await expect(anonymous.users.me.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED', httpStatus: 401 } });
  });

  it('returns its staff record to a user that exists', async () => {
    const admin = await server.client(['affiliate_admin']);
    const created = await admin.users.create.mutate({ email: 'pm@example.com', name: 'Pat Manager', roles: ['partner_manager'] });
    const me = await (await server.client(['partner_manager'], { sub: created.id })).users.me.query();
    expect(me.user).toMatchObject({ id: created.id, email: 'pm@example.com', roles: ['partner_manager'] });
  });
});

describe('database sessions', () => {
  it('run without JIT compilation, which costs more than it saves on these queries', async () => {
    const { rows } = await database.pool.query<{ jit: string }>('show jit');
    expect(rows[0]?.jit).toBe('off');
  });
});

describe('rate limits', () => {
  it('answers TOO_MANY_REQUESTS past the configured rate', async () => {
    const limited = await startTestServer(database, { RATE_LIMIT_PER_MINUTE: '3', SCHEDULER_ENABLED: 'false' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${limited.url}/trpc/system.ping`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});

describe('configuration', () => {
  const attempt = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return 'ok';
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
  };

  it('names the variable that has a bad value', () => {
    expect(attempt({ PORT: 'eighty' })).toMatch(/PORT:/);
    expect(attempt({ DATABASE_URL: 'mysql://x' })).toMatch(/DATABASE_URL:/);
    expect(attempt({ LOG_LEVEL: 'loud' })).toMatch(/LOG_LEVEL:/);
  });

  it('treats empty strings as missing', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ PORT: 3000, DATABASE_URL: undefined });
  });

  it('refuses production without a database URL or a strong secret', () => {
    const message = attempt({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'short' });
    expect(message).toMatch(/DATABASE_URL: is required in production/);
    expect(message).toMatch(/AUTH_JWT_SECRET: must be at least 32 characters/);
    expect(
      attempt({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/app', AUTH_JWT_SECRET: 'x'.repeat(32) }),
    ).toBe('ok');
    expect(
      attempt({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/app', AUTH_JWKS_URL: 'https://id.example.com/jwks' }),
    ).toBe('ok');
  });
});

