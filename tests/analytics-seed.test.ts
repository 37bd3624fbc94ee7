import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBenchData, type BenchProgress, type BenchSeed } from '../db/seed.js';
import { rollupDrift } from '../server/domain/analytics/drift.js';
import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import { runPerformanceThresholds } from '../server/domain/performance/run.js';
import { createTestDatabase } from './helpers/db.js';
import { closureVersusParents } from './helpers/factories/hierarchy.js';

/** The bench data generator at a small scale: realistic shapes, and rollups equal to what ingestion would build. */
const { db } = await createTestDatabase();
let seed: BenchSeed;
const progress: BenchProgress[] = [];

beforeAll(async () => {
  seed = await seedBenchData(db, { partners: 400, events: 8_000, seed: 3, onProgress: (step) => progress.push(step) });
}, 120_000);

const one = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) => (await db.execute<T>(query)).rows[0]!;

describe('seedBenchData', () => {
  it('builds rollups equal to the figures recomputed from its events and ledger', async () => {
    expect(await rollupDrift(db)).toEqual([]);
    const rows = await one<{ days: number }>(sql`select count(*)::int as days from analytics_partner_days`);
    expect(rows.days).toBeGreaterThan(0);
  });

  it('makes clicks far outnumber leads, leads outnumber sales, and refunds a share of sales within their amounts', async () => {
    const kinds = await one<{ clicks: number; leads: number; sales: number; refunds: number; over_refunded: number; late: number }>(sql`
      select count(*) filter (where kind = 'click')::int as clicks, count(*) filter (where kind = 'lead')::int as leads,
        count(*) filter (where kind = 'sale')::int as sales, count(*) filter (where kind = 'refund')::int as refunds,
        (select count(*) from referral_events r join referral_events s on s.id = r.refund_of_id
         where r.amount > s.amount or r.occurred_at < s.occurred_at or r.partner_id is distinct from s.partner_id)::int as over_refunded,
        count(*) filter (where created_at - occurred_at > interval '1 day')::int as late
      from referral_events`);
    expect(kinds.clicks).toBeGreaterThan(5 * kinds.leads);
    expect(kinds.leads).toBeGreaterThan(kinds.sales);
    expect(kinds.refunds).toBeGreaterThan(0);
    expect(kinds.refunds).toBeLessThan(kinds.sales);
    expect(kinds.over_refunded).toBe(0);
    expect(kinds.late).toBeGreaterThan(0);
    expect(kinds.clicks + kinds.leads + kinds.sales + kinds.refunds).toBe(seed.events);
  });

  it('gives partners a realistic status, tier and manager mix, and a closure table consistent with parent_id', async () => {
    const mix = await one<{ partners: number; active: number; statuses: number; tiers: number; managed: number; with_parent: number }>(sql`
      select count(*)::int as partners, count(*) filter (where status = 'active')::int as active,
        count(distinct status)::int as statuses, count(distinct tier)::int as tiers,
        count(manager_id)::int as managed, count(parent_id)::int as with_parent
      from partners`);
    expect(mix.partners).toBe(400);
    expect(mix.active / mix.partners).toBeGreaterThan(0.5);
    expect(mix.statuses).toBeGreaterThanOrEqual(6);
    expect(mix.tiers).toBe(3);
    expect(mix.managed / mix.partners).toBeGreaterThan(0.75);
    expect(mix.with_parent).toBeGreaterThan(0);
    const ids = (await db.execute<{ id: string }>(sql`select id from partners`)).rows.map((row) => row.id);
    const { stored, recomputed } = await closureVersusParents(db, ids);
    expect(stored).toEqual(recomputed);
  });

  it('draws agreement acceptances, documents and referred accounts per partner, not all alike', async () => {
    const records = await one<{ current_share: number; document_statuses: number; expired: number; links: number; ended: number }>(sql`
      select
        (select count(*) filter (where v.version = (select max(version) from agreement_versions))::float / count(*)
         from agreement_acceptances a join agreement_versions v on v.id = a.agreement_version_id) as current_share,
        (select count(distinct status)::int from compliance_documents) as document_statuses,
        (select count(*)::int from compliance_documents where expires_on < current_date) as expired,
        (select count(*)::int from partner_accounts where role = 'referrer') as links,
        (select count(ended_at)::int from partner_accounts) as ended`);
    // Everyone enrolled accepted the first version, about 85% the current one too: a share of all acceptances near 0.46.
    expect(records.current_share).toBeGreaterThan(0.35);
    expect(records.current_share).toBeLessThan(0.5);
    expect(records.document_statuses).toBe(2);
    expect(records.expired).toBeGreaterThan(0);
    expect(records.links).toBe(200);
    expect(records.ended).toBeGreaterThan(0);
    expect(records.ended).toBeLessThan(records.links);
  });

  it('writes the ledger through the commissions functions: earnings, overrides, reversals in several states', async () => {
    const ledger = await db.execute<{ kind: string; statuses: string[] }>(sql`
      select kind, array_agg(distinct status order by status) as statuses from commissions group by kind order by kind`);
    const byKind = Object.fromEntries(ledger.rows.map((row) => [row.kind, row.statuses]));
    expect(Object.keys(byKind)).toEqual(expect.arrayContaining(['earning', 'override', 'reversal', 'payout']));
    expect(byKind.earning).toEqual(expect.arrayContaining(['approved', 'paid', 'pending']));
    expect(seed.commissions).toBeGreaterThan(0);
    // The seed approved everything the approval job approves at the seed's now.
    expect(await approveDueCommissions(db, seed.now)).toEqual({ approved: 0 });
  });

  it('reports progress of every stage up to its total, and names the busiest partner', async () => {
    const finished = progress.filter((step) => step.done === step.total).map((step) => step.stage);
    expect(finished).toEqual(expect.arrayContaining(['partners', 'events', 'commissions', 'rollups']));
    const busiest = await one<{ partner_id: string }>(sql`
      select partner_id from referral_events where partner_id is not null group by partner_id order by count(*) desc limit 1`);
    expect(busiest.partner_id).toBe(seed.busiestPartnerId);
  });

  // Last: the job moves tiers.
  it('gives the programs performance thresholds that a first run of the job at the seed\'s now acts on', async () => {
    const { active } = await one<{ active: number }>(sql`select count(*)::int as active from partners where status = 'active'`);
    const { measured, promoted = 0, demoted, demotionsPending = 0, programsUnreadable } = await runPerformanceThresholds(db, seed.now);
    expect(programsUnreadable).toBe(0);
    expect(measured).toBe(active);
    // About 3% promoted and 7–8% pending at scale; a few hundred partners only come near.
    expect(promoted).toBeGreaterThan(0);
    expect(promoted / active).toBeLessThan(0.1);
    expect(demotionsPending).toBeGreaterThan(0);
    expect(demotionsPending / active).toBeGreaterThan(0.02);
    expect(demotionsPending / active).toBeLessThan(0.2);
    expect(demoted).toBe(0);
    const pending = await one<{ tiers: string[] }>(sql`select array_agg(distinct tier order by tier) as tiers from partner_demotion_pending`);
    expect(pending.tiers.every((tier) => tier === 'silver' || tier === 'gold')).toBe(true);
  });
});
