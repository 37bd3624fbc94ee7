import { performance } from 'node:perf_hooks';
import { connectDatabase } from '../../db/client.js';
import { defineAbilityFor } from '../../server/auth/abilities.js';
import { partnerPerformance } from '../../server/domain/analytics/partner-performance.js';
const c = connectDatabase(process.argv[2]!, { max: 2 });
const caller = { actor: { userId: 'x', roles: ['affiliate_admin' as const], requestId: null }, ability: defineAbilityFor({ userId: 'x', roles: ['affiliate_admin'] }) };
const now = new Date();
const to = new Date(Math.floor(now.getTime() / 86400000) * 86400000);
const range = { from: new Date(to.getTime() - 365 * 86400000), to };
for (let i = 0; i < 10; i++) { const s = performance.now(); await partnerPerformance(c.db, caller, { partnerId: process.argv[3]!, dateRange: range, granularity: 'day' }); console.log((performance.now() - s).toFixed(1)); }
await c.close();
