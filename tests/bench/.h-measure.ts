import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { connectDatabase } from '../../db/client.js';
import { defineAbilityFor } from '../../server/auth/abilities.js';
import { partnerPerformance } from '../../server/domain/analytics/partner-performance.js';
import { programHealth } from '../../server/domain/analytics/program-health.js';
import { rawSources } from '../../server/domain/analytics/sources.js';
const c = connectDatabase(process.argv[2]!, { max: 8 });
const db = c.db;
const caller = { actor: { userId: 'x', roles: ['affiliate_admin' as const], requestId: null }, ability: defineAbilityFor({ userId: 'x', roles: ['affiliate_admin'] }) };
const r = await db.execute<{ partner_id: string; program_id: string }>(sql`select partner_id, program_id from referral_events where partner_id is not null group by 1,2 order by count(*) desc limit 1`);
const { partner_id, program_id } = r.rows[0]!;
const now = new Date();
const to = new Date(Math.floor(now.getTime() / 86400000) * 86400000);
const range = { from: new Date(to.getTime() - 365 * 86400000), to };
async function time(label: string, f: () => Promise<unknown>, n = 5) {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await f(); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  console.log(label, ts[Math.floor(n / 2)]!.toFixed(1), 'ms');
  return ts[Math.floor(n / 2)]!;
}
const which = process.argv[3] ?? 'all';
if (which === 'all' || which === 'pp') {
  const a = await time('pp rollup', () => partnerPerformance(db, caller, { partnerId: partner_id, dateRange: range, granularity: 'day' }), 9);
  const b = await time('pp raw', () => partnerPerformance(db, caller, { partnerId: partner_id, dateRange: range, granularity: 'day' }, rawSources), 3);
  console.log('pp ratio', (b / a).toFixed(1));
}
if (which === 'all' || which === 'ph') {
  const a = await time('ph rollup', () => programHealth(db, caller, { programId: program_id, dateRange: range }), 5);
  const b = await time('ph raw', () => programHealth(db, caller, { programId: program_id, dateRange: range }, rawSources), 1);
  console.log('ph ratio', (b / a).toFixed(1));
}
await c.close();
