import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import { commissionBalance } from '../server/domain/commissions/balance.js';
import { settleApprovedCommissions } from '../server/domain/commissions/settle.js';
import { defineAbilityFor } from '../server/auth/abilities.js';
import {
  addProgramVersion,
  at,
  createChain,
  createMoneyTestDatabase,
  createPartner,
  createProgram,
  ledgerOf,
  refundEvent,
  saleEvent,
  setPartnerStatus,
  threeLevelConfiguration,
  uniqueId,
  type TestPartner,
} from './helpers/factories/money.js';

const { db, ingest } = await createMoneyTestDatabase();
const admin = defineAbilityFor({ userId: 'admin', roles: ['affiliate_admin'] });
const payer = { userId: 'payouts-test', roles: [], requestId: null };

async function balanceOf(partnerId: string) {
  const { currencies } = await commissionBalance(db, admin, { partnerId });
  return currencies;
}

describe('a three-level chain', () => {
  it('pays the seller and each upline level its rate, and claws back a partial refund proportionally', async () => {
    const programId = await createProgram(db);
    const [top, upper, parent, seller] = await createChain(db, programId, 4) as [TestPartner, TestPartner, TestPartner, TestPartner];
    const ids = [top.id, upper.id, parent.id, seller.id];

    const saleId = uniqueId('sale');
    await ingest([saleEvent(seller, 12_345, '2025-03-01T10:00:00Z', saleId)]);
    // 10% of 123.45 = 12.345 → 12.35 (half away from zero); 5% → 6.17; 3% → 3.70; 1% → 1.23.
    expect(await ledgerOf(db, ids)).toEqual([
      { partnerId: seller.id, kind: 'earning', status: 'pending', level: 0, amount: 1_235, reason: null },
      { partnerId: parent.id, kind: 'override', status: 'pending', level: 1, amount: 617, reason: null },
      { partnerId: upper.id, kind: 'override', status: 'pending', level: 2, amount: 370, reason: null },
      { partnerId: top.id, kind: 'override', status: 'pending', level: 3, amount: 123, reason: null },
    ]);

    await ingest([refundEvent(saleId, 4_000, '2025-03-05T10:00:00Z')]);
    // Each entry loses round(amount × 4000 / 12345): 400.16 → 400, 199.92 → 200, 119.89 → 120, 39.85 → 40.
    const afterPartial = await ledgerOf(db, ids);
    expect(afterPartial.slice(4)).toEqual([
      { partnerId: seller.id, kind: 'reversal', status: 'pending', level: 0, amount: -400, reason: 'refund' },
      { partnerId: parent.id, kind: 'reversal', status: 'pending', level: 1, amount: -200, reason: 'refund' },
      { partnerId: upper.id, kind: 'reversal', status: 'pending', level: 2, amount: -120, reason: 'refund' },
      { partnerId: top.id, kind: 'reversal', status: 'pending', level: 3, amount: -40, reason: 'refund' },
    ]);
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 835, approved: 0, carriedOver: 0, paid: 0, balance: 835, payable: 0 },
    ]);

    await ingest([refundEvent(saleId, 8_345, '2025-03-06T10:00:00Z')]);
    // The rest of the sale reverses exactly what is left, and every entry of the sale leaves the money flow.
    const afterFull = await ledgerOf(db, ids);
    expect(afterFull.slice(8).map((row) => row.amount)).toEqual([-835, -417, -250, -83]);
    expect(afterFull.every((row) => row.status === 'reversed')).toBe(true);
    for (const partner of [top, upper, parent, seller]) {
      expect(await balanceOf(partner.id)).toEqual([
        { currency: 'USD', pending: 0, approved: 0, carriedOver: 0, paid: 0, balance: 0, payable: 0 },
      ]);
    }
  });

  it('rounds half away from zero and never reverses more than was earned, whatever the refunds', async () => {
    const programId = await createProgram(db);
    const [seller] = await createChain(db, programId, 1) as [TestPartner];
    const saleId = uniqueId('sale');
    // 10% of 0.05 = 0.005 → 0.01.
    await ingest([saleEvent(seller, 5, '2025-03-01T10:00:00Z', saleId)]);
    await ingest([refundEvent(saleId, 1, '2025-03-02T10:00:00Z'), refundEvent(saleId, 1, '2025-03-02T11:00:00Z')]);
    await ingest([refundEvent(saleId, 3, '2025-03-03T10:00:00Z')]);
    const rows = await ledgerOf(db, [seller.id]);
    // round(1 × 1/5) = 0, round(1 × 2/5) = 0, round(1 × 5/5) = 1: one reversal of the one cent earned.
    expect(rows.map((row) => [row.kind, row.amount])).toEqual([
      ['earning', 1],
      ['reversal', -1],
    ]);
  });
});

describe('configuration versions', () => {
  it('pays each sale at the rates of the version in force at its time', async () => {
    const programId = await createProgram(db);
    const changed = threeLevelConfiguration();
    changed.commissionTiers[0]!.value = 2_000;
    changed.commissionTiers[0]!.overrides = [{ level: 1, rateType: 'flat', value: 250 }];
    await addProgramVersion(db, programId, 2, changed, at('2025-04-01T00:00:00Z'));
    const [parent, seller] = await createChain(db, programId, 2) as [TestPartner, TestPartner];

    // Sent in one batch after the change: the earlier sale still earns at version 1.
    await ingest([saleEvent(seller, 10_000, '2025-03-31T23:59:59Z'), saleEvent(seller, 10_000, '2025-04-01T00:00:00Z')]);
    const rows = await db.execute<{ partner_id: string; level: number; amount: number; program_version: number; rate_type: string }>(sql`
      select partner_id, level, amount, program_version, rate_type from commissions
      where partner_id in (${parent.id}, ${seller.id}) order by program_version, level`);
    expect(rows.rows).toEqual([
      { partner_id: seller.id, level: 0, amount: 1_000, program_version: 1, rate_type: 'percentage' },
      { partner_id: parent.id, level: 1, amount: 500, program_version: 1, rate_type: 'percentage' },
      { partner_id: seller.id, level: 0, amount: 2_000, program_version: 2, rate_type: 'percentage' },
      { partner_id: parent.id, level: 1, amount: 250, program_version: 2, rate_type: 'flat' },
    ]);
  });
});

describe('whose rates, and what is not earned', () => {
  const tiered = (rules: ReturnType<typeof threeLevelConfiguration>['rules'] = {}) => ({
    commissionTiers: [
      { name: 'silver', rateType: 'percentage' as const, value: 1_000, overrides: [{ level: 1, rateType: 'percentage' as const, value: 500 }] },
      { name: 'gold', rateType: 'percentage' as const, value: 1_500, overrides: [{ level: 1, rateType: 'percentage' as const, value: 800 }] },
    ],
    rules: { maxHierarchyDepth: 2, ...rules },
  });

  it("pays the upline at the override rate of the earning partner's tier, not its own", async () => {
    const programId = await createProgram(db, { configuration: tiered() });
    const parent = await createPartner(db, { programId, tier: 'silver' });
    const seller = await createPartner(db, { programId, parentId: parent.id, tier: 'gold' });
    await ingest([saleEvent(seller, 10_000, '2025-03-01T10:00:00Z')]);
    expect((await ledgerOf(db, [parent.id, seller.id])).map((row) => [row.partnerId, row.amount])).toEqual([
      [seller.id, 1_500],
      [parent.id, 800],
    ]);
  });

  it('records an override for an upline that is not active as forfeited, with the amount it would have paid', async () => {
    const programId = await createProgram(db);
    const [parent, seller] = await createChain(db, programId, 2) as [TestPartner, TestPartner];
    await setPartnerStatus(db, parent.id, 'suspended');
    await ingest([saleEvent(seller, 10_000, '2025-03-01T10:00:00Z')]);
    const rows = await db.execute<{ partner_id: string; status: string; amount: number; forgone_amount: number | null; reason: string | null }>(sql`
      select partner_id, status, amount, forgone_amount, reason from commissions where partner_id in (${parent.id}, ${seller.id}) order by id`);
    expect(rows.rows).toEqual([
      { partner_id: seller.id, status: 'pending', amount: 1_000, forgone_amount: null, reason: null },
      { partner_id: parent.id, status: 'forfeited', amount: 0, forgone_amount: 500, reason: 'upline_not_active: the upline partner is suspended' },
    ]);
  });

  it('pays an override only to an upline with its own sales in the qualification period (exactly the minimum suffices)', async () => {
    const programId = await createProgram(db, { configuration: tiered({ uplineQualification: { periodDays: 30, minOwnSales: 2 } }) });
    const parent = await createPartner(db, { programId, tier: 'silver' });
    const seller = await createPartner(db, { programId, parentId: parent.id, tier: 'silver' });
    // One own sale 10 days before, one 31 days before (outside the period): one counts, two are required.
    await ingest([saleEvent(parent, 1_000, '2025-02-20T10:00:00Z'), saleEvent(parent, 1_000, '2025-01-29T10:00:00Z')]);
    await ingest([saleEvent(seller, 10_000, '2025-03-02T10:00:00Z')]);
    // A second own sale inside the period: now the parent qualifies.
    await ingest([saleEvent(parent, 1_000, '2025-03-01T10:00:00Z')]);
    await ingest([saleEvent(seller, 10_000, '2025-03-03T10:00:00Z')]);
    const overrides = await db.execute<{ status: string; amount: number; forgone_amount: number | null; reason: string | null }>(sql`
      select status, amount, forgone_amount, reason from commissions where partner_id = ${parent.id} and kind = 'override' order by id`);
    expect(overrides.rows).toEqual([
      {
        status: 'forfeited',
        amount: 0,
        forgone_amount: 500,
        reason: 'upline_not_qualified: 1 own sales in the 30 days before the sale, 2 required',
      },
      { status: 'pending', amount: 500, forgone_amount: null, reason: null },
    ]);
  });

  it('records a sale of a partner whose tier the version does not define as forfeited', async () => {
    const programId = await createProgram(db, { configuration: tiered() });
    const seller = await createPartner(db, { programId, tier: 'platinum' });
    await ingest([saleEvent(seller, 10_000, '2025-03-01T10:00:00Z')]);
    expect(await ledgerOf(db, [seller.id])).toEqual([
      { partnerId: seller.id, kind: 'earning', status: 'forfeited', level: 0, amount: 0, reason: 'tier_not_configured: tier platinum is not in version 1' },
    ]);
  });
});

describe('the ledger is append-only', () => {
  it('refuses changing money facts, deleting, truncating and status moves outside the machine', async () => {
    const programId = await createProgram(db);
    const [seller] = await createChain(db, programId, 1) as [TestPartner];
    await ingest([saleEvent(seller, 10_000, '2025-03-01T10:00:00Z')]);
    const id = sql`(select id from commissions where partner_id = ${seller.id})`;
    const refused = (statement: ReturnType<typeof sql>) => expect(db.execute(statement)).rejects.toMatchObject({ cause: { code: expect.stringMatching(/^(42501|23514)$/) } });
    await refused(sql`update commissions set amount = 1 where id = ${id}`);
    await refused(sql`update commissions set partner_id = partner_id, currency = 'EUR' where id = ${id}`);
    await refused(sql`delete from commissions where id = ${id}`);
    await refused(sql`truncate commissions cascade`);
    await refused(sql`update commissions set status = 'paid' where id = ${id}`);
    await db.execute(sql`update commissions set status = 'approved' where id = ${id}`);
    await refused(sql`update commissions set status = 'pending' where id = ${id}`);
    expect(await ledgerOf(db, [seller.id])).toMatchObject([{ amount: 1_000, status: 'approved' }]);
  });
});

describe('approval, payout and clawback after payment', () => {
  it('approves entries when their hold ends, pays them, and nets a later clawback off the next payout', async () => {
    const programId = await createProgram(db);
    const [seller] = await createChain(db, programId, 1) as [TestPartner];
    const firstSale = uniqueId('sale');
    await ingest([saleEvent(seller, 10_000, '2025-03-01T10:00:00Z', firstSale)]);

    // holdDays 30: due at 2025-03-31T10:00:00Z, not a millisecond before.
    await approveDueCommissions(db, at('2025-03-31T09:59:59.999Z'));
    expect(await ledgerOf(db, [seller.id])).toMatchObject([{ status: 'pending' }]);
    await approveDueCommissions(db, at('2025-03-31T10:00:00Z'));
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 0, approved: 1_000, carriedOver: 0, paid: 0, balance: 1_000, payable: 1_000 },
    ]);

    const firstPayout = await db.transaction((tx) =>
      settleApprovedCommissions(tx, payer, { partnerId: seller.id, currency: 'USD', payoutId: crypto.randomUUID() }),
    );
    expect(firstPayout.amount).toBe(1_000);
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 0, approved: 0, carriedOver: 0, paid: 1_000, balance: 0, payable: 0 },
    ]);

    // The customer is refunded after the partner was paid: the clawback takes the balance below zero.
    await ingest([refundEvent(firstSale, 10_000, '2025-04-10T10:00:00Z')]);
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 0, approved: 0, carriedOver: -1_000, paid: 1_000, balance: -1_000, payable: 0 },
    ]);
    const nothing = await db.transaction((tx) =>
      settleApprovedCommissions(tx, payer, { partnerId: seller.id, currency: 'USD', payoutId: crypto.randomUUID() }),
    );
    expect(nothing).toEqual({ amount: 0, entryIds: [] });

    await ingest([saleEvent(seller, 15_000, '2025-04-15T10:00:00Z')]);
    await approveDueCommissions(db, at('2025-05-15T10:00:00Z'));
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 0, approved: 1_500, carriedOver: -1_000, paid: 1_000, balance: 500, payable: 500 },
    ]);
    const second = await db.transaction((tx) =>
      settleApprovedCommissions(tx, payer, { partnerId: seller.id, currency: 'USD', payoutId: crypto.randomUUID() }),
    );
    expect(second.amount).toBe(500);
    expect(await balanceOf(seller.id)).toEqual([
      { currency: 'USD', pending: 0, approved: 0, carriedOver: 0, paid: 1_500, balance: 0, payable: 0 },
    ]);
    expect((await ledgerOf(db, [seller.id])).map((row) => [row.kind, row.status, row.amount])).toEqual([
      ['earning', 'paid', 1_000],
      ['payout', 'paid', -1_000],
      ['reversal', 'paid', -1_000],
      ['earning', 'paid', 1_500],
      ['payout', 'paid', -500],
    ]);
  });

  it('keeps every balance equal to the sum of the ledger entries', async () => {
    const programId = await createProgram(db);
    const chain = await createChain(db, programId, 4);
    const seller = chain.at(-1)!;
    const sales = [uniqueId('sale'), uniqueId('sale'), uniqueId('sale')];
    await ingest(sales.map((id, index) => saleEvent(seller, 9_999 + index * 1_001, `2025-06-0${index + 1}T10:00:00Z`, id)));
    await ingest([refundEvent(sales[0]!, 3_333, '2025-06-05T10:00:00Z')]);
    await approveDueCommissions(db, at('2025-07-02T10:00:00Z'));
    await db.transaction((tx) => settleApprovedCommissions(tx, payer, { partnerId: seller.id, currency: 'USD', payoutId: crypto.randomUUID() }));
    await ingest([refundEvent(sales[1]!, 11_000, '2025-07-05T10:00:00Z')]);

    const sums = await db.execute<{ partner_id: string; total: number }>(sql`
      select partner_id, sum(amount)::bigint as total from commissions
      where partner_id = any(${sql.param(chain.map((partner) => partner.id))}::uuid[]) group by partner_id`);
    expect(sums.rows).toHaveLength(4);
    for (const row of sums.rows) {
      const [balance] = await balanceOf(row.partner_id);
      expect(balance!.balance).toBe(row.total);
      expect(balance!.pending + balance!.approved + balance!.carriedOver).toBe(row.total);
    }
    expect((await balanceOf(seller.id))[0]!.carriedOver).toBeLessThan(0);
  });
});

describe('the approval job on a large backlog', () => {
  it('approves 150,000 due entries in one call and audits the range it approved', async () => {
    const programId = await createProgram(db);
    const [partner] = (await createChain(db, programId, 1)) as [TestPartner];
    // What earlier tests left due is approved first, so the call below sees only the backlog.
    await approveDueCommissions(db, at('2029-12-31T00:00:00Z'));
    await db.execute(sql`
      insert into commissions (partner_id, kind, status, amount, currency, hold_until, reason, created_by)
      select ${partner.id}, 'adjustment', 'pending', 100, 'USD', '2030-01-01T00:00:00Z', 'backlog', 'test'
      from generate_series(1, 150000)`);
    const range = await db.execute<{ first: number; last: number }>(sql`
      select min(id) as first, max(id) as last from commissions where partner_id = ${partner.id}`);

    expect(await approveDueCommissions(db, at('2030-01-01T00:00:00Z'))).toEqual({ approved: 150_000 });
    const audit = await db.execute<{ after: { approved: number; firstId: number; lastId: number } }>(sql`
      select after from activity where action = 'commissions.approve_due' and entity_id = '2030-01-01T00:00:00.000Z'`);
    expect(audit.rows.map((row) => row.after)).toEqual([
      { approved: 150_000, firstId: range.rows[0]!.first, lastId: range.rows[0]!.last },
    ]);
  });
});
