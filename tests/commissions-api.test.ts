import { describe, expect, it } from 'vitest';
import {
  createChain,
  createMoneyTestDatabase,
  createProgram,
  refundEvent,
  saleEvent,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';
import { startTestServer } from './helpers/server.js';

const { database, db, ingest } = await createMoneyTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const programId = await createProgram(db);

async function soldAndRefunded() {
  const [parent, seller] = (await createChain(db, programId, 2)) as [TestPartner, TestPartner];
  const saleId = uniqueId('sale');
  await ingest([saleEvent(seller, 20_000, '2025-05-01T10:00:00Z', saleId)]);
  await ingest([refundEvent(saleId, 5_000, '2025-05-02T10:00:00Z')]);
  return { parent, seller };
}

describe('commissions.list and commissions.balance', () => {
  it("shows a partner's entries newest first, filtered and paged, and the balance they add up to", async () => {
    const { seller } = await soldAndRefunded();
    const manager = await server.client(['partner_manager']);
    const all = await manager.commissions.list.query({ partnerId: seller.id });
    expect(all.items.map((item) => [item.kind, item.status, item.amount, item.onHold])).toEqual([
      ['reversal', 'pending', -500, false],
      ['earning', 'pending', 2_000, false],
    ]);
    expect(all.items[0]).toMatchObject({ reversesId: all.items[1]!.id, refundEventId: expect.any(Number), eventId: all.items[1]!.eventId });
    expect(all.items[1]).toMatchObject({ programVersion: 1, tier: 'standard', rateType: 'percentage', rateValue: 1_000, holdUntil: new Date('2025-05-31T10:00:00.000Z') });

    const firstPage = await manager.commissions.list.query({ partnerId: seller.id, limit: 1 });
    const secondPage = await manager.commissions.list.query({ partnerId: seller.id, limit: 1, cursor: firstPage.nextCursor! });
    expect([...firstPage.items, ...secondPage.items].map((item) => item.id)).toEqual(all.items.map((item) => item.id));
    expect(secondPage.nextCursor).toBeNull();
    const earnings = await manager.commissions.list.query({ partnerId: seller.id, kind: 'earning', status: 'pending', currency: 'USD' });
    expect(earnings.items.map((item) => item.amount)).toEqual([2_000]);

    const programManager = await server.client(['program_manager']);
    expect(await programManager.commissions.balance.query({ partnerId: seller.id })).toEqual({
      partnerId: seller.id,
      currencies: [{ currency: 'USD', pending: 1_500, approved: 0, carriedOver: 0, paid: 0, balance: 1_500, payable: 0 }],
    });
    await expect(programManager.commissions.balance.query({ partnerId: crypto.randomUUID() })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });
});

describe('commissions.approve', () => {
  it('approves an earning before its hold ends, with its pending reversals, once', async () => {
    const { parent, seller } = await soldAndRefunded();
    const admin = await server.client(['affiliate_admin']);
    const [reversal, earning] = (await admin.commissions.list.query({ partnerId: seller.id })).items;
    const approved = await admin.commissions.approve.mutate({ ids: [earning!.id], note: 'trusted partner' });
    expect(approved).toEqual({ approved: [earning!.id, reversal!.id] });
    expect(await admin.commissions.balance.query({ partnerId: seller.id })).toMatchObject({
      currencies: [{ pending: 0, approved: 1_500, payable: 1_500 }],
    });
    await expect(admin.commissions.approve.mutate({ ids: [earning!.id] })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: `Commission ${earning!.id} is approved; it cannot become approved`,
    });

    const [parentReversal, override] = (await admin.commissions.list.query({ partnerId: parent.id })).items;
    await expect(admin.commissions.approve.mutate({ ids: [parentReversal!.id] })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('is a reversal'),
    });
    // A refused call approves nothing, not even the valid ids it carried.
    await expect(admin.commissions.approve.mutate({ ids: [override!.id, 999_999_999] })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await admin.commissions.list.query({ partnerId: parent.id, status: 'pending' })).items).toHaveLength(2);
  });

  it('is for admins only', async () => {
    const manager = await server.client(['partner_manager']);
    await expect(manager.commissions.approve.mutate({ ids: [1] })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});
