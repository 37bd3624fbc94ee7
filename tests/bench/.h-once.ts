import { performance } from 'node:perf_hooks';
import { connectDatabase } from '../../db/client.js';
import { defineAbilityFor } from '../../server/auth/abilities.js';
import { programHealth } from '../../server/domain/analytics/program-health.js';
const c = connectDatabase(process.argv[2]!, { max: 2 });
const caller = { actor: { userId: 'x', roles: ['affiliate_admin' as const], requestId: null }, ability: defineAbilityFor({ userId: 'x', roles: ['affiliate_admin'] }) };
const now = new Date();
const to = new Date(Math.floor(now.getTime() / 86400000) * 86400000);
const range = { from: new Date(to.getTime() - 365 * 86400000), to };
for (let i = 0; i < 4; i++) { const s = performance.now(); await programHealth(c.db, caller, { programId: process.argv[3]!, dateRange: range }); console.log((performance.now() - s).toFixed(0)); }
await c.close();
