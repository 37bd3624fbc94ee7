import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { agreementAcceptances, agreementVersions } from '../db/schema/agreements.js';
import { complianceDocuments } from '../db/schema/compliance.js';
import { fraudFlags } from '../db/schema/fraud.js';
import { programUpdateRecipients, programUpdates } from '../db/schema/notifications.js';
import { accounts, partnerAccounts } from '../db/schema/partners.js';
import { accountGrowth } from '../server/domain/analytics/account-growth.js';
import { rollupDrift } from '../server/domain/analytics/drift.js';
import { partnerPerformance } from '../server/domain/analytics/partner-performance.js';
import { programHealth } from '../server/domain/analytics/program-health.js';
import type { Cohort } from '../server/domain/analytics/health/cohorts.js';
import { referralPerformance } from '../server/domain/analytics/referral-performance.js';
import {
  accountGrowthInput,
  partnerPerformanceInput,
  programHealthInput,
  referralPerformanceInput,
} from '../server/domain/analytics/schemas.js';
import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import { settleApprovedCommissions } from '../server/domain/commissions/settle.js';
import { waitingOnLocks } from './helpers/db.js';
import { callerWith } from './helpers/factories/hierarchy.js';
import {
  createMoneyTestDatabase,
  createPartner,
  createProgram,
  refundEvent,
  saleEvent,
  threeLevelConfiguration,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';
import { waitFor } from './helpers/poll.js';

/**
 * Every metric against values worked out by hand on a small fixed data set (program A in USD, 10% for the seller,
 * 5% / 3% to the first / second upline level; program B in EUR). The range is March and April 2025.
 *
 *   T ← M ← S   (T the top of a chain, S the seller)     O, R, Q, X, P on their own     E in program B
 *
 * S  03-03: 4 clicks, a lead, a sale of 100.00 · 03-10: 2 clicks, a sale of 200.00 · 04-02: 2 clicks, a lead
 *    04-05: 50.00 of the 200.00 refunded · 05-10: a sale of 70.00 (after the range)
 * O  03-15: 3 clicks, a sale of 500.00 · 04-20: a click · 04-25: the 500.00 refunded in full
 * M  04-10: a click, a sale of 250.00          R  03-01: a click          E  03-20: a sale of 90.00 EUR
 */
const { db, ingest } = await createMoneyTestDatabase();
const admin = callerWith(['affiliate_admin']);
const NOW = new Date('2025-05-01T00:00:00Z');
const RANGE = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-05-01T00:00:00Z') };
const usd = (amount: number) => [{ currency: 'USD', amount }];
const rate = (numerator: number, denominator: number, basisPoints: number | null) => ({ numerator, denominator, basisPoints });

let programA: string;
let programB: string;
let T: TestPartner, M: TestPartner, S: TestPartner, O: TestPartner, R: TestPartner, Q: TestPartner, X: TestPartner, P: TestPartner, E: TestPartner;

async function setPartner(partner: TestPartner, fields: { createdAt: string; activatedAt?: string; status?: string; tier?: string }) {
  await db.execute(sql`
    update partners set created_at = ${fields.createdAt}::timestamptz, activated_at = ${fields.activatedAt ?? null}::timestamptz,
      status = coalesce(${fields.status ?? null}, status), tier = coalesce(${fields.tier ?? null}, tier)
    where id = ${partner.id}`);
}

const at = (day: string, time = '12:00:00') => `${day}T${time}Z`;
const clicks = (partner: TestPartner, day: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    externalId: uniqueId('click'),
    kind: 'click',
    referralCode: partner.referralCode,
    occurredAt: at(day, `0${index}:00:00`),
  }));
const lead = (partner: TestPartner, day: string) => ({ externalId: uniqueId('lead'), kind: 'lead', referralCode: partner.referralCode, occurredAt: at(day, '10:00:00') });

beforeAll(async () => {
  programA = await createProgram(db, { configuration: threeLevelConfiguration({ rules: { requiredDocuments: ['w9'] } }) });
  programB = await createProgram(db, { currency: 'EUR' });
  T = await createPartner(db, { programId: programA });
  M = await createPartner(db, { programId: programA, parentId: T.id });
  S = await createPartner(db, { programId: programA, parentId: M.id, tier: 'standard' });
  O = await createPartner(db, { programId: programA, tier: 'standard' });
  R = await createPartner(db, { programId: programA });
  Q = await createPartner(db, { programId: programA });
  X = await createPartner(db, { programId: programA });
  P = await createPartner(db, { programId: programA, status: 'applied' });
  E = await createPartner(db, { programId: programB });

  const sale1 = saleEvent(S, 10_000, at('2025-03-03'));
  const sale2 = saleEvent(S, 20_000, at('2025-03-10'));
  const saleO = saleEvent(O, 50_000, at('2025-03-15'));
  await ingest([
    ...clicks(S, '2025-03-03', 4), lead(S, '2025-03-03'), sale1,
    ...clicks(S, '2025-03-10', 2), sale2,
    ...clicks(S, '2025-04-02', 2), lead(S, '2025-04-02'),
    saleEvent(S, 7_000, at('2025-05-10')),
    ...clicks(O, '2025-03-15', 3), saleO, ...clicks(O, '2025-04-20', 1),
    ...clicks(M, '2025-04-10', 1), saleEvent(M, 25_000, at('2025-04-10')),
    ...clicks(R, '2025-03-01', 1),
    { ...saleEvent(E, 9_000, at('2025-03-20')), currency: 'EUR' },
  ]);
  // Refunds arrive in a later batch, as they do.
  await ingest([refundEvent(sale2.externalId, 5_000, at('2025-04-05')), refundEvent(saleO.externalId, 50_000, at('2025-04-25'))]);
  // Holds of 30 days: by 04-12 S's two sales (and their overrides and the partial reversal) are due, the rest not.
  await approveDueCommissions(db, new Date('2025-04-12T00:00:00Z'));
  await db.transaction((tx) => settleApprovedCommissions(tx, admin.actor, { partnerId: S.id, currency: 'USD', payoutId: crypto.randomUUID() }));

  await setPartner(T, { createdAt: '2024-12-01T00:00:00Z', activatedAt: '2024-12-05T00:00:00Z' });
  await setPartner(M, { createdAt: '2025-02-10T00:00:00Z', activatedAt: '2025-03-02T00:00:00Z' });
  await setPartner(S, { createdAt: '2025-02-20T00:00:00Z', activatedAt: '2025-03-01T00:00:00Z' });
  await setPartner(O, { createdAt: '2025-01-10T00:00:00Z', activatedAt: '2025-01-15T00:00:00Z' });
  await setPartner(R, { createdAt: '2025-02-25T00:00:00Z', activatedAt: '2025-03-01T06:00:00Z' });
  await setPartner(X, { createdAt: '2025-02-26T00:00:00Z', activatedAt: '2025-03-05T00:00:00Z', status: 'terminated' });
  await setPartner(Q, { createdAt: '2025-03-20T00:00:00Z', activatedAt: '2025-04-10T00:00:00Z' });
  await setPartner(P, { createdAt: '2025-04-15T00:00:00Z' });
  await setPartner(E, { createdAt: '2024-06-01T00:00:00Z', activatedAt: '2024-06-02T00:00:00Z' });

  const [terms] = await db
    .insert(agreementVersions)
    .values({ version: 1, title: 'Terms', body: 'The terms.', contentHash: 'hash', publishedBy: 'test' })
    .returning({ id: agreementVersions.id });
  await db.insert(agreementAcceptances).values(
    [T, M, S, O].map((partner) => ({ partnerId: partner.id, agreementVersionId: terms!.id, acceptedAt: NOW, recordedBy: 'test' })),
  );
  const w9 = (partner: TestPartner, status: 'approved' | 'pending', expiresOn: string) => ({
    partnerId: partner.id,
    kind: 'w9' as const,
    reference: `w9/${partner.id}`,
    checksum: 'a'.repeat(64),
    issuedOn: '2025-01-01',
    expiresOn,
    status,
    reviewedBy: status === 'approved' ? 'test' : null,
    reviewedAt: status === 'approved' ? NOW : null,
    submittedBy: 'test',
  });
  // Valid through the expiry date: O's expired the day before NOW.
  await db.insert(complianceDocuments).values([w9(S, 'approved', '2026-01-01'), w9(T, 'approved', '2025-05-01'), w9(O, 'approved', '2025-04-30'), w9(M, 'pending', '2026-01-01'), w9(Q, 'approved', '2026-01-01')]);

  await db.insert(fraudFlags).values([
    { partnerId: O.id, programId: programA, rule: 'click_velocity', dedupeKey: uniqueId('flag'), evidence: {}, createdAt: new Date('2025-04-03T00:00:00Z') },
    { partnerId: S.id, programId: programA, rule: 'click_velocity', dedupeKey: uniqueId('flag'), evidence: {}, createdAt: new Date('2025-06-01T00:00:00Z') },
  ]);

  const [first, latest] = await db
    .insert(programUpdates)
    .values([
      { programId: programA, title: 'Old news', body: '…', requiresAcknowledgment: true, publishedBy: 'test', publishedAt: new Date('2025-02-01T00:00:00Z') },
      { programId: programA, title: 'New rates', body: '…', requiresAcknowledgment: true, publishedBy: 'test', publishedAt: new Date('2025-04-01T00:00:00Z') },
    ])
    .returning({ id: programUpdates.id });
  const ack = (partner: TestPartner, updateId: string, acknowledgedAt: string | null) => ({
    updateId,
    partnerId: partner.id,
    acknowledgedAt: acknowledgedAt ? new Date(acknowledgedAt) : null,
    acknowledgedBy: acknowledgedAt ? 'test' : null,
  });
  await db.insert(programUpdateRecipients).values([
    ack(S, first!.id, '2025-02-02T00:00:00Z'),
    ack(M, first!.id, '2025-02-02T00:00:00Z'),
    ack(T, latest!.id, '2025-04-02T00:00:00Z'),
    ack(S, latest!.id, '2025-04-03T00:00:00Z'),
    ack(M, latest!.id, null),
    // After the range's end: not counted.
    ack(O, latest!.id, '2025-05-03T00:00:00Z'),
  ]);

  const link = async (partner: TestPartner, linkedAt: string, endedAt?: string) => {
    const [account] = await db.insert(accounts).values({ name: uniqueId('account') }).returning({ id: accounts.id });
    await db.insert(partnerAccounts).values({
      partnerId: partner.id,
      accountId: account!.id,
      role: 'referrer',
      linkedAt: new Date(linkedAt),
      linkedBy: 'test',
      endedAt: endedAt ? new Date(endedAt) : null,
      endedBy: endedAt ? 'test' : null,
    });
  };
  await link(S, '2025-02-15T00:00:00Z');
  await link(S, '2025-03-10T00:00:00Z');
  await link(S, '2025-04-05T00:00:00Z', '2025-04-20T00:00:00Z');
  await link(O, '2025-04-25T00:00:00Z');
});

const performanceOf = (partner: TestPartner, extra: Record<string, unknown> = {}) =>
  partnerPerformance(db, admin, partnerPerformanceInput.parse({ partnerId: partner.id, dateRange: RANGE, granularity: 'month', ...extra }), undefined, NOW);

describe('analytics.partnerPerformance', () => {
  it("gives the seller's activity, money and standing per month and in total", async () => {
    const result = await performanceOf(S);
    expect(result.range).toEqual({ from: '2025-03-01', to: '2025-05-01' });
    expect(result.series).toEqual([
      {
        start: '2025-03-01',
        clicks: 6, leads: 1, conversions: 2, refunds: 0,
        conversionRate: rate(2, 6, 3333), refundRate: rate(0, 2, 0),
        revenue: usd(30_000), refunded: [], commissions: usd(3_000),
      },
      {
        start: '2025-04-01',
        clicks: 2, leads: 1, conversions: 0, refunds: 1,
        conversionRate: rate(0, 2, 0), refundRate: rate(1, 0, null),
        revenue: [], refunded: usd(5_000), commissions: usd(-500),
      },
    ]);
    expect(result.totals).toEqual({
      clicks: 8, leads: 2, conversions: 2, refunds: 1,
      conversionRate: rate(2, 8, 2500), refundRate: rate(1, 2, 5000),
      revenue: usd(30_000), refunded: usd(5_000),
      // Paid out: both earnings net of the reversal of a quarter of the second; nothing pending or approved left.
      commissions: { earned: usd(3_000), pending: [], approved: [], paid: usd(2_500), reversed: usd(500) },
      downline: [],
    });
    // Sellers of program A in the range: O 500.00, S 300.00, M 250.00 — S is above one of the two others.
    expect(result.percentile).toEqual({ programId: programA, peers: 3, revenue: 30_000, rank: rate(1, 2, 5000) });
  });

  it("gives an upline its overrides by level, by status, and a rank of 0 without revenue", async () => {
    const result = await performanceOf(T);
    expect(result.totals.commissions).toEqual({
      earned: usd(1_250 + 300 + 600),
      pending: usd(1_250),
      approved: usd(300 + 600 - 150),
      paid: [],
      reversed: usd(150),
    });
    expect(result.totals.downline).toEqual([
      { level: 1, commissions: usd(1_250) },
      { level: 2, commissions: usd(750) },
    ]);
    expect(result.percentile).toEqual({ programId: programA, peers: 4, revenue: 0, rank: rate(0, 3, 0) });
    const middle = await performanceOf(M);
    expect(middle.totals.commissions).toEqual({ earned: usd(4_000), pending: usd(2_500), approved: usd(1_250), paid: [], reversed: usd(250) });
    expect(middle.totals.downline).toEqual([{ level: 1, commissions: usd(1_250) }]);
  });

  it('counts a commission fully reversed by a full refund as earned and reversed, and ranks the top seller at 100%', async () => {
    const result = await performanceOf(O);
    expect(result.totals.commissions).toEqual({ earned: usd(5_000), pending: [], approved: [], paid: [], reversed: usd(5_000) });
    expect(result.totals.refunded).toEqual(usd(50_000));
    expect(result.percentile?.rank).toEqual(rate(2, 2, 10_000));
  });

  it('widens the range to whole UTC days and fills empty buckets', async () => {
    const result = await performanceOf(S, {
      dateRange: { from: new Date('2025-03-02T10:00:00Z'), to: new Date('2025-03-04T01:00:00Z') },
      granularity: 'day',
    });
    expect(result.range).toEqual({ from: '2025-03-02', to: '2025-03-05' });
    expect(result.series.map((point) => [point.start, point.clicks, point.leads, point.conversions])).toEqual([
      ['2025-03-02', 0, 0, 0],
      ['2025-03-03', 4, 1, 1],
      ['2025-03-04', 0, 0, 0],
    ]);
  });

  it('buckets by ISO week, Monday first', async () => {
    const result = await performanceOf(S, { granularity: 'week' });
    expect(result.series[0]!.start).toBe('2025-02-24');
    const byWeek = Object.fromEntries(result.series.map((point) => [point.start, [point.clicks, point.conversions, point.refunds]]));
    expect(byWeek).toMatchObject({ '2025-03-03': [4, 1, 0], '2025-03-10': [2, 1, 0], '2025-03-31': [2, 0, 1] });
    expect(result.series.at(-1)!.start).toBe('2025-04-28');
  });
});

describe('analytics.programHealth', () => {
  const healthOf = (programId?: string) => programHealth(db, admin, programHealthInput.parse({ programId, dateRange: RANGE }), undefined, NOW);

  it('counts active, new and previously new partners', async () => {
    const health = await healthOf(programA);
    // Active: T M S O Q R. Applied in the range: Q, P; activated: S M R X Q. Before (61 days from 2024-12-30): M S O R X applied, O activated.
    expect(health.partners).toEqual({
      active: 6,
      applied: 2,
      activated: 5,
      previousPeriod: { from: '2024-12-30', to: '2025-03-01', applied: 5, activated: 1 },
    });
  });

  it('follows monthly activation cohorts: activity by month and state at the end of the range', async () => {
    const health = await healthOf(programA);
    expect(health.retention).toEqual([
      // S M R X: S and M active (seen in April), R unseen for 60 days (at risk), X terminated (churned).
      { cohort: '2025-03-01', size: 4, activeByMonth: [2, 2], active: 2, atRisk: 1, churned: 1, suspended: 0, churnRate: rate(1, 4, 2500) },
      // Q: activated 04-10 and not yet unseen for 60 days.
      { cohort: '2025-04-01', size: 1, activeByMonth: [0], active: 1, atRisk: 0, churned: 0, suspended: 0, churnRate: rate(0, 1, 0) },
    ]);
  });

  it('counts the days of a month the range cuts, and sees activity before an end that later activity follows', async () => {
    // To 05-09: May counts days 1–8 only (S's sale of 05-10 is after them). S was last seen on 04-02 before the end and
    // again after it; R, last seen 03-01, is unseen for 60 days.
    const dateRange = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-05-09T00:00:00Z') };
    const health = await programHealth(db, admin, programHealthInput.parse({ programId: programA, dateRange }), undefined, NOW);
    expect(health.retention).toEqual([
      { cohort: '2025-03-01', size: 4, activeByMonth: [2, 2, 0], active: 2, atRisk: 1, churned: 1, suspended: 0, churnRate: rate(1, 4, 2500) },
      { cohort: '2025-04-01', size: 1, activeByMonth: [0, 0], active: 1, atRisk: 0, churned: 0, suspended: 0, churnRate: rate(0, 1, 0) },
    ]);
  });

  it('counts a partner seen on the first day of the inactivity and churn windows, and unseen one day later', async () => {
    // E's only activity is a sale on 03-20; program B keeps the default 60 inactivity and 120 churn days.
    const stateAt = async (end: string) => {
      const dateRange = { from: new Date('2024-06-01T00:00:00Z'), to: new Date(`${end}T00:00:00Z`) };
      const health = await programHealth(db, admin, programHealthInput.parse({ programId: programB, dateRange }), undefined, NOW);
      expect(health.retention.map((cohort) => [cohort.cohort, cohort.size])).toEqual([['2024-06-01', 1]]);
      const [{ active, atRisk, churned }] = health.retention as [Cohort];
      return { active, atRisk, churned };
    };
    expect(await stateAt('2025-05-19')).toEqual({ active: 1, atRisk: 0, churned: 0 });
    // Over two calendar years: active in March 2025 only, the tenth month from the cohort's.
    const dateRange = { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2025-05-19T00:00:00Z') };
    const health = await programHealth(db, admin, programHealthInput.parse({ programId: programB, dateRange }), undefined, NOW);
    expect(health.retention[0]!.activeByMonth).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(await stateAt('2025-05-20')).toEqual({ active: 0, atRisk: 1, churned: 0 });
    expect(await stateAt('2025-07-18')).toEqual({ active: 0, atRisk: 1, churned: 0 });
    expect(await stateAt('2025-07-19')).toEqual({ active: 0, atRisk: 0, churned: 1 });
  });

  it('measures compliance of the active partners: current agreement and valid required documents', async () => {
    const health = await healthOf(programA);
    // Agreement: T M S O. Valid W-9: S T Q (O's expired 04-30, M's is pending). Both: T S.
    expect(health.compliance).toEqual({ activePartners: 6, agreementAccepted: 4, documentsValid: 3, compliant: 2, rate: rate(2, 6, 3333) });
  });

  it('measures quality: fraud flags and refunds', async () => {
    const health = await healthOf(programA);
    expect(health.quality).toEqual({
      flags: 1,
      confirmedFlags: 0,
      flaggedPartners: 1,
      // S O M R had a click, lead or sale in the range.
      partnersWithActivity: 4,
      fraudFlagRate: rate(1, 4, 2500),
      conversions: 4,
      refunds: 2,
      refundRate: rate(2, 4, 5000),
      revenue: usd(105_000),
      refunded: usd(55_000),
    });
  });

  it('measures participation and acknowledgment of the latest update', async () => {
    const health = await healthOf(programA);
    expect(health.participation).toEqual({
      activePartners: 6,
      // S (04-02), M (04-10), O (04-20) in the 30 days before 05-01.
      activeLast30Days: 3,
      rate: rate(3, 6, 5000),
      acknowledgment: { updates: 1, recipients: 4, acknowledged: 2, rate: rate(2, 4, 5000) },
    });
  });

  it('gives the median time from application to first sale', async () => {
    const health = await healthOf(programA);
    // S 11.5 days, M 59.5 days, O 64.5 days: the median is M's.
    expect(health.firstConversion).toEqual({ partners: 3, medianSeconds: 59.5 * 86_400 });
  });

  it('gives revenue concentration and the top and bottom performers', async () => {
    const health = await healthOf(programA);
    // Three sellers: the top tenth rounds up to one partner, O with 500.00 of 1,050.00.
    expect(health.concentration).toEqual([
      { currency: 'USD', revenue: 105_000, sellers: 3, topPartners: 1, topRevenue: 50_000, share: rate(50_000, 105_000, 4762) },
    ]);
    const [performers] = health.performers;
    expect(performers!.currency).toBe('USD');
    expect(performers!.top.map((p) => [p.partnerId, p.revenue, p.conversions, p.clicks])).toEqual([
      [O.id, 50_000, 1, 4],
      [S.id, 30_000, 2, 8],
      [M.id, 25_000, 1, 1],
    ]);
    // Every active partner, least revenue first; T and Q (no activity) tie and go by id.
    const idle = [T.id, Q.id].sort();
    expect(performers!.bottom.map((p) => p.partnerId)).toEqual([...idle, R.id, M.id, S.id, O.id]);
    expect(performers!.top[0]).toMatchObject({ referralCode: O.referralCode, name: expect.stringMatching(/^Partner /) });
  });

  it('covers every program, money per currency, when no program is named', async () => {
    const health = await healthOf(undefined);
    expect(health.concentration.map((entry) => [entry.currency, entry.revenue, entry.sellers])).toEqual([
      ['EUR', 9_000, 1],
      ['USD', 105_000, 3],
    ]);
    expect(health.quality.revenue).toEqual([
      { currency: 'EUR', amount: 9_000 },
      { currency: 'USD', amount: 105_000 },
    ]);
    expect(health.partners.active).toBe(7);
  });

  it('sees activity of the previous calendar year, counts a partner active under two programs once, and a cut first month by day', async () => {
    // Program C (defaults: 60 inactivity, 120 churn days), both activated 2024-09-01. Y clicks on 12-20. Z clicks on
    // 11-01 under program D, moves to C and clicks on 11-20. Up to 2025-01-15 both were seen within 60 days, in 2024.
    const programC = await createProgram(db);
    const programD = await createProgram(db);
    const Y = await createPartner(db, { programId: programC });
    const Z = await createPartner(db, { programId: programD });
    await ingest(clicks(Y, '2024-12-20', 1));
    await ingest(clicks(Z, '2024-11-01', 1));
    await db.execute(sql`update partners set program_id = ${programC} where id = ${Z.id}`);
    await ingest(clicks(Z, '2024-11-20', 1));
    for (const partner of [Y, Z]) await setPartner(partner, { createdAt: '2024-08-20T00:00:00Z', activatedAt: '2024-09-01T00:00:00Z' });

    const dateRange = { from: new Date('2024-09-01T00:00:00Z'), to: new Date('2025-01-15T00:00:00Z') };
    const cohortOf = async (programId?: string) => {
      const health = await programHealth(db, admin, programHealthInput.parse({ programId, dateRange }), undefined, NOW);
      return health.retention.find((cohort) => cohort.cohort === '2024-09-01');
    };
    const both = { cohort: '2024-09-01', size: 2, active: 2, atRisk: 0, churned: 0, suspended: 0, churnRate: rate(0, 2, 0) };
    // Months September to January (cut at the 15th): Z in November, Y in December.
    expect(await cohortOf(programC)).toEqual({ ...both, activeByMonth: [0, 0, 1, 1, 0] });
    // Over every program Z's November counts once, though under two programs.
    expect(await cohortOf(undefined)).toEqual({ ...both, activeByMonth: [0, 0, 1, 1, 0] });

    // From 10-15, October counts its days from the 15th only: W's click of 10-05 (before its activation) is not in it,
    // its click of 10-25 is.
    const W = await createPartner(db, { programId: programC });
    await ingest([...clicks(W, '2024-10-05', 1), ...clicks(W, '2024-10-25', 1)]);
    await setPartner(W, { createdAt: '2024-10-01T00:00:00Z', activatedAt: '2024-10-20T00:00:00Z' });
    const fromMidOctober = { from: new Date('2024-10-15T00:00:00Z'), to: dateRange.to };
    const health = await programHealth(db, admin, programHealthInput.parse({ programId: programC, dateRange: fromMidOctober }), undefined, NOW);
    expect(health.retention.map((cohort) => [cohort.cohort, cohort.activeByMonth])).toEqual([['2024-10-01', [1, 0, 0, 0]]]);
  });

  it("counts a first sale under the partner's current program, measured from its sign-up", async () => {
    const [before, after] = [await createProgram(db), await createProgram(db)];
    const U = await createPartner(db, { programId: before });
    await ingest([saleEvent(U, 1_000, at('2024-11-11'))]);
    await setPartner(U, { createdAt: '2024-11-01T12:00:00Z', activatedAt: '2024-11-02T00:00:00Z' });
    // November 2024: outside the range the other tests read over every program.
    const dateRange = { from: new Date('2024-11-01T00:00:00Z'), to: new Date('2024-12-01T00:00:00Z') };
    const firstOf = async (programId: string) =>
      (await programHealth(db, admin, programHealthInput.parse({ programId, dateRange }), undefined, NOW)).firstConversion;
    expect(await firstOf(before)).toEqual({ partners: 1, medianSeconds: 10 * 86_400 });
    // A partner without activity moves too: its row holds the program only, which nothing counts.
    const idle = await createPartner(db, { programId: before });
    await db.execute(sql`update partners set program_id = ${after} where id in (${U.id}, ${idle.id})`);
    expect(await firstOf(before)).toEqual({ partners: 0, medianSeconds: null });
    expect(await firstOf(after)).toEqual({ partners: 1, medianSeconds: 10 * 86_400 });
    // The rollup's copy of the partners' program and sign-up equals the partner rows'.
    expect(await rollupDrift(db)).toEqual([]);
  });

  it("ends with the new program when a partner moves while effects are creating its activity row", async () => {
    const [before, after] = [await createProgram(db), await createProgram(db)];
    const V = await createPartner(db, { programId: before });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let created!: () => void;
    const rowCreated = new Promise<void>((resolve) => (created = resolve));
    // As the effects statement does: the row created with the program read from the partner row, not yet committed.
    const effects = db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into analytics_partner_activity (partner_id, first_event_at, last_event_at, program_id, partner_created_at)
        select id, now(), now(), program_id, created_at from partners where id = ${V.id}`);
      created();
      await held;
    });
    await rowCreated;
    let moved = false;
    const move = db.execute(sql`update partners set program_id = ${after} where id = ${V.id}`).then(() => (moved = true));
    // Until the move waits on the uncommitted row (or has finished without waiting, which would be the bug).
    await waitFor(async () => moved || (await waitingOnLocks(db)) > 0, { what: 'the move to wait on the uncommitted row' });
    release();
    await Promise.all([effects, move]);
    const row = await db.execute(sql`select program_id from analytics_partner_activity where partner_id = ${V.id}`);
    expect(row.rows).toEqual([{ program_id: after }]);
  });
});

describe('analytics.referralPerformance', () => {
  const funnels = (input: Record<string, unknown>) =>
    referralPerformance(db, admin, referralPerformanceInput.parse({ dateRange: RANGE, programId: programA, ...input }), undefined, NOW);

  it('gives the funnel per partner, most conversions first, page by page', async () => {
    const first = await funnels({ groupBy: 'partner', limit: 2 });
    expect(first.totals).toEqual({
      clicks: 14, leads: 2, conversions: 4, refunds: 2,
      clickToLead: rate(2, 14, 1429), leadToConversion: rate(4, 2, 20_000), clickToConversion: rate(4, 14, 2857),
      revenue: usd(105_000),
    });
    expect(first.items[0]).toEqual({
      group: { partnerId: S.id, referralCode: S.referralCode, name: expect.stringMatching(/^Partner /) },
      clicks: 8, leads: 2, conversions: 2, refunds: 1,
      clickToLead: rate(2, 8, 2500), leadToConversion: rate(2, 2, 10_000), clickToConversion: rate(2, 8, 2500),
      revenue: usd(30_000),
    });
    // O and M both converted once; the tie goes by id, descending.
    const [higher, lower] = [O, M].sort((a, b) => (a.id > b.id ? -1 : 1));
    expect(first.items[1]!.group).toMatchObject({ partnerId: higher!.id });
    const second = await funnels({ groupBy: 'partner', limit: 2, cursor: first.nextCursor });
    expect(second.items.map((item) => (item.group as { partnerId: string }).partnerId)).toEqual([lower!.id, R.id]);
    expect(second.nextCursor).toBeNull();
    expect(second.totals).toEqual(first.totals);
  });

  it('groups by tier and by program', async () => {
    const byTier = await funnels({ groupBy: 'tier' });
    expect(byTier.items.map((item) => [item.group, item.clicks, item.conversions])).toEqual([
      [{ tier: 'standard' }, 12, 3],
      [{ tier: null }, 2, 1],
    ]);
    const byProgram = await funnels({ groupBy: 'program', programId: undefined });
    expect(byProgram.items.map((item) => [(item.group as { programId: string }).programId, item.conversions, item.revenue])).toEqual([
      [programA, 4, usd(105_000)],
      [programB, 1, [{ currency: 'EUR', amount: 9_000 }]],
    ]);
  });

  it('answers an empty page past the last group with the totals', async () => {
    const empty = await funnels({ groupBy: 'partner', dateRange: { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z') } });
    expect(empty.items).toEqual([]);
    expect(empty.totals).toMatchObject({ clicks: 0, conversions: 0, revenue: [], clickToLead: rate(0, 0, null) });
  });
});

describe('analytics.accountGrowth', () => {
  const growth = (input: Record<string, unknown>) => accountGrowth(db, admin, accountGrowthInput.parse({ dateRange: RANGE, ...input }), NOW);

  it('counts accounts referred, ended and open per month, with the top referrers', async () => {
    const result = await growth({ programId: programA });
    expect(result.series).toEqual([
      { start: '2025-03-01', referred: 1, ended: 0, activeAtEnd: 2 },
      { start: '2025-04-01', referred: 2, ended: 1, activeAtEnd: 3 },
    ]);
    expect(result.totals).toEqual({ referred: 3, ended: 1, activeAtStart: 1, activeAtEnd: 3 });
    expect(result.topReferrers.map((entry) => [entry.partnerId, entry.referred, entry.activeAtEnd])).toEqual([
      [S.id, 2, 2],
      [O.id, 1, 1],
    ]);
  });

  it("gives one partner's accounts", async () => {
    const result = await growth({ partnerId: S.id });
    expect(result.totals).toEqual({ referred: 2, ended: 1, activeAtStart: 1, activeAtEnd: 2 });
  });
});
