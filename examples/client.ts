/**
 * A typed client for affiliate-ops. Run against a started service:
 *   AFFILIATE_OPS_TOKEN=$(npm run -s token -- --role affiliate_admin) npx tsx examples/client.ts
 */
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '../server/index.js';
import superjson from 'superjson';

const url = process.env.AFFILIATE_OPS_URL ?? 'http://127.0.0.1:3000/trpc';
const token = process.env.AFFILIATE_OPS_TOKEN;

const client = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
});

const ping = await client.system.ping.query();
console.log('ping', ping);

if (!token) {
  console.error('Set AFFILIATE_OPS_TOKEN to call procedures that need a caller (npm run token -- --role affiliate_admin).');
  process.exit(1);
}
const me = await client.users.me.query();
console.log('me', { userId: me.userId, roles: me.roles, user: me.user?.email ?? null });
