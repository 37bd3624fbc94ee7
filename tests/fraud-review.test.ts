import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import {
  at,
  createChain,
  createMoneyTestDatabase,
  createProgram,
  ledgerOf,
  threeLevelConfiguration,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';
import { startTestServer } from './helpers/server.js';

const { database, db, ingest } = await createMoneyTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const programId = await createProgram(db, { configuration: threeLevelConfiguration({ rules: { holdDays: 10 } }) });

/** A parent and a seller; the seller's sale comes one second after its click, which the default rules flag. */
async function flaggedSale(): Promise<{ parent: TestPartner; seller: TestPartner; flagId: string; entryIds: number[] }> {
  const [parent, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
  const click = { externalId: uniqueId('click'), kind: 'click', referralCode: seller.referralCode, occurredAt: '2025-05-01T10:00:00Z' };
  const sale = { externalId: uniqueId('sale'), kind: 'sale', clickId: click.externalId, amount: 10_000, currency: 'USD', occurredAt: '2025-05-01T10:00:01Z' };
  const result = await ingest([click, sale]);
  expect(result.effects.fraudFlags).toBe(1);
  const flag = await db.execute<{ id: string }>(sql`select id from fraud_flags where partner_id = ${seller.id}`);
  const entries = await db.execute<{ id: number }>(sql`
    select id from commissions where partner_id in (${parent.id}, ${seller.id}) order by id`);
  return { parent, seller, flagId: flag.rows[0]!.id, entryIds: entries.rows.map((row) => row.id) };
}

describe('an open flag', () => {
  it("holds the partner's commissions and the upline's from the flagged event", async () => {
    const { parent, seller, entryIds } = await flaggedSale();
    const admin = await server.client(['affiliate_admin']);
    await approveDueCommissions(db, at('2025-06-01T00:00:00Z'));
    expect((await ledgerOf(db, [parent.id, seller.id])).map((row) => row.status)).toEqual(['pending', 'pending']);
    const listed = await admin.commissions.list.query({ partnerId: parent.id });
    expect(listed.items).toMatchObject([{ id: entryIds[1], onHold: true }]);
    await expect(admin.commissions.approve.mutate({ ids: [entryIds[0]!] })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining(`Commission ${entryIds[0]} is held by an open fraud flag`),
    });
  });
});

describe('fraud.review', () => {
  it('confirm: reverses the held commissions, suspends the partner for fraud and keeps the hold', async () => {
    const { parent, seller, flagId } = await flaggedSale();
    const compliance = await server.client(['compliance_officer'], { sub: 'compliance-1' });
    const review = await compliance.fraud.review.mutate({ flagId, decision: 'confirm', note: 'bot traffic', suspendPartner: true });
    expect(review).toMatchObject({
      flag: { id: flagId, status: 'confirmed', reviewedBy: 'compliance-1', reviewNote: 'bot traffic' },
      reversedEntries: 2,
      reversed: [{ currency: 'USD', amount: 1_500 }],
      partnerSuspended: true,
    });
    expect(await ledgerOf(db, [parent.id, seller.id])).toEqual([
      { partnerId: seller.id, kind: 'earning', status: 'reversed', level: 0, amount: 1_000, reason: null },
      { partnerId: parent.id, kind: 'override', status: 'reversed', level: 1, amount: 500, reason: null },
      { partnerId: seller.id, kind: 'reversal', status: 'reversed', level: 0, amount: -1_000, reason: 'fraud_confirmed' },
      { partnerId: parent.id, kind: 'reversal', status: 'reversed', level: 1, amount: -500, reason: 'fraud_confirmed' },
    ]);
    const partner = await db.execute<{ status: string; reason_code: string; actor_id: string; holds: number }>(sql`
      select p.status, h.reason_code, h.actor_id,
        (select count(*) from partner_holds ph where ph.partner_id = p.id and ph.kind = 'fraud' and ph.released_at is null)::int as holds
      from partners p join partner_status_history h on h.partner_id = p.id where p.id = ${seller.id}`);
    // The flag's hold and the suspension's own hold.
    expect(partner.rows).toEqual([{ status: 'suspended', reason_code: 'fraud', actor_id: 'compliance-1', holds: 2 }]);

    await expect(compliance.fraud.review.mutate({ flagId, decision: 'dismiss', note: 'second thoughts' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: `Fraud flag ${flagId} is confirmed; it cannot become dismissed`,
    });
  });

  it('dismiss: releases the hold, and the commissions are approved when due', async () => {
    const { parent, seller, flagId } = await flaggedSale();
    const admin = await server.client(['affiliate_admin']);
    const review = await admin.fraud.review.mutate({ flagId, decision: 'dismiss', note: 'a fast customer' });
    expect(review).toMatchObject({ flag: { status: 'dismissed' }, reversedEntries: 0, partnerSuspended: false });
    const holds = await db.execute(sql`select 1 from partner_holds where partner_id = ${seller.id} and released_at is null`);
    expect(holds.rows).toEqual([]);
    await approveDueCommissions(db, at('2025-06-01T00:00:00Z'));
    expect((await ledgerOf(db, [parent.id, seller.id])).map((row) => row.status)).toEqual(['approved', 'approved']);
  });

  it('refuses a missing flag, a suspension without confirmation, and reviewers without the right', async () => {
    const { flagId } = await flaggedSale();
    const admin = await server.client(['affiliate_admin']);
    await expect(admin.fraud.review.mutate({ flagId: crypto.randomUUID(), decision: 'dismiss', note: 'x' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(admin.fraud.review.mutate({ flagId, decision: 'dismiss', note: 'x', suspendPartner: true })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('suspendPartner'),
    });
    const manager = await server.client(['partner_manager']);
    await expect(manager.fraud.review.mutate({ flagId, decision: 'dismiss', note: 'x' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});

describe('fraud.flags', () => {
  it('lists flags newest first with their events, filtered and paged', async () => {
    const flagged = [await flaggedSale(), await flaggedSale(), await flaggedSale()];
    const compliance = await server.client(['compliance_officer']);
    const mine = await compliance.fraud.flags.query({ partnerId: flagged[0]!.seller.id });
    expect(mine.items).toMatchObject([{ id: flagged[0]!.flagId, rule: 'fast_conversion', status: 'open' }]);
    expect(mine.items[0]!.eventIds).toHaveLength(1);

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await compliance.fraud.flags.query({ rule: 'fast_conversion', status: 'open', limit: 2, cursor });
      pages.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(pages).size).toBe(pages.length);
    expect(pages).toEqual(expect.arrayContaining(flagged.map((entry) => entry.flagId)));
    expect(pages.indexOf(flagged[2]!.flagId)).toBeLessThan(pages.indexOf(flagged[0]!.flagId));
  });
});

describe('webhooks', () => {
  it('queues commission.created, fraud_flag.raised and commission.reversed for subscribed endpoints', async () => {
    await db.execute(sql`
      insert into webhook_endpoints (url, events, secret, created_by)
      values ('https://tools.example/hook', array['commission.created', 'commission.reversed', 'fraud_flag.raised'], 'secret', 'test')`);
    const { seller, flagId } = await flaggedSale();
    const admin = await server.client(['affiliate_admin']);
    await admin.fraud.review.mutate({ flagId, decision: 'confirm', note: 'confirmed' });
    const deliveries = await db.execute<{ event_type: string; data: { partnerId: string; amount?: number; level?: number } }>(sql`
      select event_type, (body::jsonb) -> 'data' as data from webhook_deliveries
      where body::jsonb -> 'data' ->> 'partnerId' = ${seller.id} or body::jsonb -> 'data' ->> 'flagId' = ${flagId}
      order by created_at, event_type`);
    expect(deliveries.rows.map((row) => [row.event_type, row.data.amount ?? null])).toEqual([
      ['commission.created', 1_000],
      ['fraud_flag.raised', null],
      ['commission.reversed', -1_000],
    ]);
  });
});
