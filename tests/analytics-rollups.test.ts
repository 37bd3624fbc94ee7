import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { partners as partnersTable } from '../db/schema/index.js';
import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import { settleApprovedCommissions } from '../server/domain/commissions/settle.js';
import { reviewFraudFlag } from '../server/domain/fraud/review.js';
import { rollupDrift } from '../server/domain/analytics/drift.js';
import { partnerPerformance } from '../server/domain/analytics/partner-performance.js';
import { programHealth } from '../server/domain/analytics/program-health.js';
import { referralPerformance } from '../server/domain/analytics/referral-performance.js';
import { rawSources } from '../server/domain/analytics/sources.js';
import { rollWindows, windowRows } from '../server/domain/analytics/windows.js';
import { createTestDatabase } from './helpers/db.js';
import { callerWith } from './helpers/factories/hierarchy.js';
import { createChain, createIngestKey, createPartner, createProgram, ingester, uniqueId, type TestPartner } from './helpers/factories/money.js';

const database = await createTestDatabase();
const db = database.db;
const admin = callerWith(['affiliate_admin']);
const reviewer = { userId: 'analytics-test-reviewer', roles: ['compliance_officer' as const], requestId: null };

const BASE = Date.parse('2025-03-01T00:00:00Z');
const HOUR = 3_600_000;

let ingest: ReturnType<typeof ingester>;
let programId: string;
let partners: TestPartner[];

beforeAll(async () => {
  const key = await createIngestKey(db);
  ingest = ingester(db, key.id);
  programId = await createProgram(db);
  // Two chains (overrides flow up three levels) and a partner on its own.
  partners = [...(await createChain(db, programId, 4)), ...(await createChain(db, programId, 2)), await createPartner(db, { programId })];
});

/** A sale already stored, with what is left to refund. */
interface StoredSale {
  externalId: string;
  at: number;
  remaining: number;
}

type Generated =
  | { kind: 'click' | 'lead'; partner: number; hoursAfterBase: number }
  | { kind: 'sale'; partner: number; hoursAfterBase: number; amount: number }
  | { kind: 'refund'; pick: number; share: number; hoursLater: number };

const generatedEvent: fc.Arbitrary<Generated> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('click' as const, 'lead' as const), partner: fc.nat(6), hoursAfterBase: fc.nat(24 * 90) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sale' as const), partner: fc.nat(6), hoursAfterBase: fc.nat(24 * 90), amount: fc.integer({ min: 1, max: 500_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), pick: fc.nat(), share: fc.double({ min: 0.01, max: 1, noNaN: true }), hoursLater: fc.nat(24 * 20) }) },
);

/** Between batches: the approval job at some later time, a payout of one partner, or a fraud review. */
type Step = { approveAfterDays: number } | { settle: number } | { review: 'confirm' | 'dismiss' } | null;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant(null),
  fc.record({ approveAfterDays: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ settle: fc.nat(6) }),
  fc.record({ review: fc.constantFrom('confirm' as const, 'dismiss' as const) }),
);

const iso = (ms: number) => new Date(ms).toISOString();

type BatchEvent = { externalId: string; kind: Generated['kind']; occurredAt: string; referralCode?: string; amount?: number; currency?: string; refundOf?: string };

/** Turns generated events into a valid batch: refunds pick a stored sale and stay within what is left of it. */
function toBatch(events: Generated[], sales: StoredSale[]): BatchEvent[] {
  return events.flatMap((event): BatchEvent[] => {
    if (event.kind !== 'refund') {
      const base = { externalId: uniqueId(event.kind), kind: event.kind, referralCode: partners[event.partner]!.referralCode, occurredAt: iso(BASE + event.hoursAfterBase * HOUR) };
      if (event.kind !== 'sale') return [base];
      return [{ ...base, amount: event.amount, currency: 'USD' }];
    }
    const open = sales.filter((sale) => sale.remaining > 0);
    const sale = open[event.pick % Math.max(open.length, 1)];
    if (!sale) return [];
    const amount = Math.max(1, Math.floor(sale.remaining * event.share));
    sale.remaining -= amount;
    return [{ externalId: uniqueId('refund'), kind: 'refund' as const, refundOf: sale.externalId, amount, currency: 'USD', occurredAt: iso(sale.at + event.hoursLater * HOUR) }];
  });
}

async function runStep(next: Step): Promise<void> {
  if (!next) return;
  if ('approveAfterDays' in next) {
    await approveDueCommissions(db, new Date(BASE + next.approveAfterDays * 24 * HOUR));
  } else if ('settle' in next) {
    await db.transaction((tx) =>
      settleApprovedCommissions(tx, admin.actor, { partnerId: partners[next.settle]!.id, currency: 'USD', payoutId: randomUUID() }),
    );
  } else {
    const open = await db.execute<{ id: string }>(sql`select id from fraud_flags where status = 'open' order by created_at limit 1`);
    const flag = open.rows[0];
    if (flag) await reviewFraudFlag(db, reviewer, { flagId: flag.id, decision: next.review, note: 'test review', suspendPartner: false });
  }
}

describe('rollups equal the figures recomputed from the raw events', () => {
  it('after batches in any time order (late events), refunds, approvals, payouts and fraud reviews', async () => {
    const sales: StoredSale[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.array(generatedEvent, { minLength: 1, maxLength: 12 }), step), { minLength: 1, maxLength: 4 }), async (batches) => {
        for (const [events, next] of batches) {
          const batch = toBatch(events, sales);
          if (batch.length > 0) await ingest(batch);
          for (const event of batch) {
            if (event.kind === 'sale') sales.push({ externalId: event.externalId, at: Date.parse(event.occurredAt), remaining: event.amount! });
          }
          await runStep(next);
        }
        expect(await rollupDrift(db)).toEqual([]);
      }),
      // A fixed seed: the coverage checks below hold for this data (another seed: FC_SEED=n to explore).
      { numRuns: 12, seed: Number(process.env.FC_SEED ?? 20_261_124) },
    );
    // Status moves delete the rows they empty.
    const empty = await db.execute<{ count: number }>(sql`select count(*)::int as count from analytics_commission_days where entries = 0`);
    expect(empty.rows[0]!.count).toBe(0);
    // The generated data did exercise what the property is about.
    const covered = await db.execute<{ refunds: number; reversals: number; statuses: number; late: number }>(sql`
      select (select count(*) from referral_events where kind = 'refund')::int as refunds,
        (select count(*) from commissions where kind = 'reversal')::int as reversals,
        (select count(distinct status) from commissions)::int as statuses,
        (select count(*) from referral_events where created_at - occurred_at > interval '2 days')::int as late`);
    expect(covered.rows[0]!.refunds).toBeGreaterThan(0);
    expect(covered.rows[0]!.reversals).toBeGreaterThan(0);
    expect(covered.rows[0]!.statuses).toBeGreaterThanOrEqual(3);
    expect(covered.rows[0]!.late).toBeGreaterThan(0);
  });

  it('gives every procedure the same answer from the rollups as from the raw events', async () => {
    const now = new Date(BASE + 200 * 24 * HOUR);
    const range = { from: new Date(BASE - 24 * HOUR), to: new Date(BASE + 120 * 24 * HOUR) };
    for (const partner of partners) {
      for (const granularity of ['day', 'week', 'month'] as const) {
        const input = { partnerId: partner.id, dateRange: range, granularity };
        expect(await partnerPerformance(db, admin, input, undefined, now)).toEqual(await partnerPerformance(db, admin, input, rawSources, now));
      }
    }
    // A range cut mid-month reads whole months from the month rollup and the edges from the day rollup.
    for (const dateRange of [range, { from: new Date('2025-03-17T00:00:00Z'), to: new Date('2025-05-09T00:00:00Z') }]) {
      const health = { programId, dateRange };
      expect(await programHealth(db, admin, health, undefined, now)).toEqual(await programHealth(db, admin, health, rawSources, now));
      for (const groupBy of ['partner', 'tier', 'program'] as const) {
        const funnel = { groupBy, dateRange, limit: 50 };
        expect(await referralPerformance(db, admin, funnel, undefined, now)).toEqual(await referralPerformance(db, admin, funnel, rawSources, now));
      }
    }
  });
});

describe('rollups under concurrency', () => {
  it('count every event when batches for the same partner and day commit at once', async () => {
    const [seller] = await createChain(db, programId, 1);
    const day = '2025-04-15';
    const batches = Array.from({ length: 8 }, (_, batch) =>
      Array.from({ length: 10 }, (_, index) => ({
        externalId: uniqueId('concurrent'),
        kind: index % 5 === 0 ? ('sale' as const) : ('click' as const),
        referralCode: seller!.referralCode,
        occurredAt: `${day}T${String(batch + 1).padStart(2, '0')}:${String(index).padStart(2, '0')}:00Z`,
        ...(index % 5 === 0 ? { amount: 1_000 + batch, currency: 'USD' } : {}),
      })),
    );
    await Promise.all([...batches.map((batch) => ingest(batch)), approveDueCommissions(db, new Date('2025-06-01T00:00:00Z'))]);
    const rows = await db.execute<{ clicks: number; sales: number; revenue: number }>(sql`
      select clicks, sales, revenue from analytics_partner_days where partner_id = ${seller!.id} and day = ${day}::date`);
    expect(rows.rows).toEqual([{ clicks: 64, sales: 16, revenue: 2 * (8 * 1_000 + 28) }]);
    expect(await rollupDrift(db)).toEqual([]);
  });
});

describe('trailing windows', () => {
  const DAY = 24 * HOUR;
  const at = (days: number) => new Date(BASE + days * DAY);
  const windowTable = async () =>
    (await db.execute(sql`select * from analytics_partner_windows order by days, program_id, partner_id, currency`)).rows;
  const zeroRows = async () =>
    (
      await db.execute<{ count: number }>(sql`
        select count(*)::int as count from analytics_partner_windows
        where clicks = 0 and leads = 0 and sales = 0 and refunds = 0 and revenue = 0 and refunded = 0`)
    ).rows[0]!.count;

  it('equal the sums of the raw events through late events, daily steps and rebuilds; a second roll changes nothing', async () => {
    // Never built: a rebuild from the day rollup.
    expect(await rollWindows(db, at(40))).toEqual({ days: expect.any(Number), rebuilt: 1 });
    expect(await rollupDrift(db)).toEqual([]);
    const built = await windowTable();
    expect(built.length).toBeGreaterThan(0);

    // Late events fold into the windows covering their day; an event of the windows' end day into none yet.
    const seller = partners[0]!;
    const late = [
      { externalId: uniqueId('late'), kind: 'sale' as const, referralCode: seller.referralCode, occurredAt: iso(BASE + 39 * DAY + HOUR), amount: 4_321, currency: 'USD' },
      { externalId: uniqueId('late'), kind: 'click' as const, referralCode: seller.referralCode, occurredAt: iso(BASE + 12 * DAY) },
      { externalId: uniqueId('today'), kind: 'click' as const, referralCode: seller.referralCode, occurredAt: iso(BASE + 40 * DAY + HOUR) },
    ];
    await ingest(late);
    expect(await rollupDrift(db)).toEqual([]);
    const week = await db.execute<{ sales: number }>(sql`
      select sales from analytics_partner_windows where days = 7 and partner_id = ${seller.id} and program_id = ${programId}`);
    expect(week.rows[0]!.sales).toBeGreaterThanOrEqual(1);

    // One day, then two at once: stepped, with the rows whose last day left deleted.
    expect(await rollWindows(db, at(41))).toEqual({ days: 1, rebuilt: 0 });
    expect(await rollupDrift(db)).toEqual([]);
    expect(await rollWindows(db, at(43.5))).toEqual({ days: 2, rebuilt: 0 });
    expect(await rollupDrift(db)).toEqual([]);
    expect(await zeroRows()).toBe(0);

    // The same day again: nothing to do, nothing changed.
    const before = await windowTable();
    expect(await rollWindows(db, at(43.9))).toEqual({ days: 0, rebuilt: 0 });
    expect(await windowTable()).toEqual(before);

    // More than a week behind: recomputed.
    expect(await rollWindows(db, at(60))).toEqual({ days: 17, rebuilt: 1 });
    expect(await rollupDrift(db)).toEqual([]);
  });

  it('serve a dashboard over exactly a window with the answer computed from the raw events', async () => {
    const now = at(60.5);
    for (const days of [30, 365]) {
      const range = { from: at(60 - days), to: at(60) };
      const dayRange = { from: iso(BASE + (60 - days) * DAY).slice(0, 10), to: iso(BASE + 60 * DAY).slice(0, 10) };
      expect(await windowRows(db, dayRange)).not.toBeNull();
      const health = { programId, dateRange: range };
      expect(await programHealth(db, admin, health, undefined, now)).toEqual(await programHealth(db, admin, health, rawSources, now));
      for (const partner of partners) {
        const input = { partnerId: partner.id, dateRange: range, granularity: 'week' as const };
        expect(await partnerPerformance(db, admin, input, undefined, now)).toEqual(await partnerPerformance(db, admin, input, rawSources, now));
      }
    }
    // A range one day off a window reads months and days.
    expect(await windowRows(db, { from: iso(BASE + 31 * DAY).slice(0, 10), to: iso(BASE + 60 * DAY).slice(0, 10) })).toBeNull();
  });

  it('give the bottom performers of a whole program over a window, idle ones by id, ranked when fewer than ten are idle', async () => {
    await rollWindows(db, at(60));
    const now = at(60.5);
    const health = { programId: await createProgram(db), dateRange: { from: at(30), to: at(60) } };
    const created = await Promise.all(Array.from({ length: 16 }, () => createPartner(db, { programId: health.programId })));
    // Roles by id, so that each mistake would show among the first ten: the lowest id sells, the next is suspended,
    // the next only brought a lead (no revenue, conversions or clicks: idle), the next only clicks.
    const [seller, suspended, leadOnly, clicker, ...idle] = [...created].sort((a, b) => (a.id < b.id ? -1 : 1));
    await db.update(partnersTable).set({ status: 'suspended' }).where(eq(partnersTable.id, suspended!.id));
    await ingest([
      { externalId: uniqueId('bottom'), kind: 'sale', referralCode: seller!.referralCode, occurredAt: iso(BASE + 50 * DAY), amount: 1_000, currency: 'USD' },
      { externalId: uniqueId('bottom'), kind: 'lead', referralCode: leadOnly!.referralCode, occurredAt: iso(BASE + 51 * DAY) },
      { externalId: uniqueId('bottom'), kind: 'click', referralCode: clicker!.referralCode, occurredAt: iso(BASE + 52 * DAY) },
    ]);
    const bottomOf = async () => {
      const ours = await programHealth(db, admin, health, undefined, now);
      expect(ours).toEqual(await programHealth(db, admin, health, rawSources, now));
      return ours.performers[0]!.bottom.map((performer) => [performer.partnerId, performer.revenue, performer.conversions, performer.clicks]);
    };
    // Thirteen idle partners: the ten with the lowest ids.
    const zero = (partner: TestPartner) => [partner.id, 0, 0, 0];
    expect(await bottomOf()).toEqual([leadOnly!, ...idle].slice(0, 10).map(zero));

    // Six idle left: they come first, then the clicker and the seller.
    await db.update(partnersTable).set({ status: 'suspended' }).where(inArray(partnersTable.id, idle.slice(5).map((partner) => partner.id)));
    expect(await bottomOf()).toEqual([...[leadOnly!, ...idle.slice(0, 5)].map(zero), [clicker!.id, 0, 0, 1], [seller!.id, 1_000, 1, 0]]);
  });
});
