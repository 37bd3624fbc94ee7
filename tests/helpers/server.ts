import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll } from 'vitest';
import type { AppRouter } from '../../server/index.js';
import { loadConfig } from '../../server/config.js';
import { startService, type RunningService } from '../../server/service.js';
import type { Role } from '../../db/schema/users.js';
import { TEST_JWT_SECRET, tokenFor } from './auth.js';
import type { TestDatabase } from './db.js';
import superjson from 'superjson';

export interface TestServer extends RunningService {
  /** A typed client calling over HTTP; with roles it carries a fresh token for them. */
  client(roles?: Role[] | string[], options?: { sub?: string }): Promise<ReturnType<typeof createTRPCClient<AppRouter>>>;
  clientWithToken(token: string | null): ReturnType<typeof createTRPCClient<AppRouter>>;
}

/** The real service (migrations, scheduler, Fastify) on port 0 against the test file's database. */
export async function startTestServer(database: TestDatabase, env: Record<string, string> = {}): Promise<TestServer> {
  const service = await startService(
    loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      PORT: '0',
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      SCHEDULER_PROCESS_EVERY: '1 second',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    }),
  );
  afterAll(() => service.stop());
  const clientWithToken = (token: string | null) =>
    createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${service.url}/trpc`, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });
  return {
    ...service,
    clientWithToken,
    async client(roles, options) {
      return clientWithToken(roles ? await tokenFor(roles, options) : null);
    },
  };
}
