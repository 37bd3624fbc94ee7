import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from './helpers/factories/hierarchy.js';
import { createMoneyTestDatabase, createPartner, createProgram, saleEvent, uniqueId, type TestPartner } from './helpers/factories/money.js';
import { startTestServer } from './helpers/server.js';

/** The analytics procedures over HTTP: who sees what, and the caller's mistakes. */
const { database, db, ingest } = await createMoneyTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const range = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') };
let programId: string;
let managerId: string;
let mine: TestPartner;
let theirs: TestPartner;
let admin: Awaited<ReturnType<typeof server.client>>;
let manager: Awaited<ReturnType<typeof server.client>>;
let programManager: Awaited<ReturnType<typeof server.client>>;

const rejects = (call: Promise<unknown>, code: string, message?: RegExp) =>
  expect(call).rejects.toMatchObject({ data: { code }, ...(message ? { message: expect.stringMatching(message) } : {}) });

beforeAll(async () => {
  programId = await createProgram(db);
  managerId = await insertUser(db, { roles: ['partner_manager'] });
  mine = await createPartner(db, { programId });
  theirs = await createPartner(db, { programId });
  await db.execute(sql`update partners set manager_id = ${managerId} where id = ${mine.id}`);
  await ingest([
    { externalId: uniqueId('click'), kind: 'click', referralCode: mine.referralCode, occurredAt: '2025-03-02T10:00:00Z' },
    saleEvent(mine, 10_000, '2025-03-02T12:00:00Z'),
    saleEvent(theirs, 40_000, '2025-03-05T12:00:00Z'),
    saleEvent(theirs, 20_000, '2025-03-06T12:00:00Z'),
  ]);
  admin = await server.client(['affiliate_admin']);
  manager = await server.client(['partner_manager'], { sub: managerId });
  programManager = await server.client(['program_manager']);
});

describe('analytics over HTTP', () => {
  it('gives an admin any partner, and the program over all its partners', async () => {
    const performance = await admin.analytics.partnerPerformance.query({ partnerId: theirs.id, dateRange: range, granularity: 'week' });
    expect(performance.totals).toMatchObject({ conversions: 2, revenue: [{ currency: 'USD', amount: 60_000 }] });
    const health = await admin.analytics.programHealth.query({ programId, dateRange: range });
    expect(health.partners.active).toBe(2);
    expect(health.quality.revenue).toEqual([{ currency: 'USD', amount: 70_000 }]);
  });

  it("shows a partner manager the partners they manage, and refuses another's", async () => {
    const performance = await manager.analytics.partnerPerformance.query({ partnerId: mine.id, dateRange: range });
    expect(performance.totals).toMatchObject({ clicks: 1, conversions: 1, conversionRate: { basisPoints: 10_000 } });
    await rejects(manager.analytics.partnerPerformance.query({ partnerId: theirs.id, dateRange: range }), 'FORBIDDEN', /only of partners you manage/);
    await rejects(manager.analytics.accountGrowth.query({ partnerId: theirs.id, dateRange: range }), 'FORBIDDEN');
  });

  it("narrows a partner manager's aggregates to the partners they manage", async () => {
    const health = await manager.analytics.programHealth.query({ programId, dateRange: range });
    expect(health.partners.active).toBe(1);
    expect(health.quality.revenue).toEqual([{ currency: 'USD', amount: 10_000 }]);
    expect(health.performers[0]!.top.map((performer) => performer.partnerId)).toEqual([mine.id]);
    const funnels = await manager.analytics.referralPerformance.query({ groupBy: 'partner', dateRange: range });
    expect(funnels.items.map((item) => (item.group as { partnerId: string }).partnerId)).toEqual([mine.id]);
    expect(funnels.totals.conversions).toBe(1);
  });

  it('ranks a managed partner among all the sellers of its program', async () => {
    const performance = await manager.analytics.partnerPerformance.query({ partnerId: mine.id, dateRange: range });
    expect(performance.percentile).toMatchObject({ peers: 2, rank: { numerator: 0, denominator: 1, basisPoints: 0 } });
  });

  it('hides partner names from a role without PII access', async () => {
    const forAdmin = await admin.analytics.referralPerformance.query({ groupBy: 'partner', dateRange: range });
    expect(forAdmin.items[0]!.group).toMatchObject({ partnerId: theirs.id, name: expect.stringMatching(/^Partner /) });
    const forProgramManager = await programManager.analytics.referralPerformance.query({ groupBy: 'partner', dateRange: range });
    expect(forProgramManager.items[0]!.group).toMatchObject({ partnerId: theirs.id, referralCode: theirs.referralCode, name: null });
    const health = await programManager.analytics.programHealth.query({ programId, dateRange: range });
    expect(health.performers[0]!.top.every((performer) => performer.name === null)).toBe(true);
  });

  it('answers NOT_FOUND for a partner or program that does not exist', async () => {
    await rejects(admin.analytics.partnerPerformance.query({ partnerId: randomUUID() }), 'NOT_FOUND', /Partner .* does not exist/);
    await rejects(admin.analytics.programHealth.query({ programId: randomUUID() }), 'NOT_FOUND', /Program .* does not exist/);
    await rejects(admin.analytics.referralPerformance.query({ programId: randomUUID() }), 'NOT_FOUND');
    await rejects(admin.analytics.accountGrowth.query({ partnerId: randomUUID() }), 'NOT_FOUND');
  });

  it('answers BAD_REQUEST naming the field for bad input', async () => {
    await rejects(admin.analytics.partnerPerformance.query({ partnerId: 'not-a-uuid' }), 'BAD_REQUEST', /partnerId/);
    await rejects(
      admin.analytics.programHealth.query({ dateRange: { from: new Date('2025-03-02'), to: new Date('2025-03-01') } }),
      'BAD_REQUEST',
      /dateRange\.to/,
    );
    await rejects(
      admin.analytics.partnerPerformance.query({
        partnerId: mine.id,
        dateRange: { from: new Date('2020-01-01'), to: new Date('2025-01-01') },
        granularity: 'day',
      }),
      'BAD_REQUEST',
      /granularity: a daily series covers at most 1000 days/,
    );
    await rejects(
      admin.analytics.programHealth.query({ dateRange: { from: new Date('1990-01-01'), to: new Date('2025-01-01') } }),
      'BAD_REQUEST',
      /dateRange\.from/,
    );
    await rejects(admin.analytics.referralPerformance.query({ cursor: 'garbage' }), 'BAD_REQUEST', /cursor/);
    await rejects(admin.analytics.accountGrowth.query({ granularity: 'year' as never }), 'BAD_REQUEST', /granularity/);
  });

  it('defaults to the last 30 days (365 for account growth), ending with today', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const performance = await admin.analytics.partnerPerformance.query({ partnerId: mine.id });
    expect(performance.series).toHaveLength(30);
    expect(performance.series.at(-1)!.start).toBe(today);
    const growth = await admin.analytics.accountGrowth.query({});
    expect(growth.series.length).toBeGreaterThanOrEqual(12);
  });
});
