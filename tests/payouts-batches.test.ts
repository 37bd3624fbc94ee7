import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approvePayoutBatch } from '../server/domain/payouts/approve.js';
import { cancelPayouts } from '../server/domain/payouts/cancel.js';
import { createPayoutBatch } from '../server/domain/payouts/create-batch.js';
import { recordOutcome } from '../server/domain/payouts/outcome.js';
import { cancelInput, createBatchInput } from '../server/domain/payouts/schemas.js';
import { submitPayoutBatch } from '../server/domain/payouts/submit.js';
import type { PaymentOutcome, PaymentProcessor } from '../server/payments/processor.js';
import { createTestDatabase } from './helpers/db.js';
import { addProgramVersion, threeLevelConfiguration } from './helpers/factories/money.js';
import { callerFor, insertDocument, insertPayoutDetails } from './helpers/factories/partners.js';
import {
  addApprovedEntry,
  addApprovedReversal,
  createPartnerOwed,
  createPayablePartner,
  createPayoutProgram,
  ledgerSummary,
  placeHold,
} from './helpers/factories/payouts.js';

const database = await createTestDatabase();
const db = database.db;
const admin = callerFor(['affiliate_admin']);

const createBatch = (input: unknown) => createPayoutBatch(db, admin, createBatchInput.parse(input));

async function reservedEntries(entryIds: number[]): Promise<Map<number, number>> {
  const rows = await db.execute<{ commission_id: number; count: number }>(sql`
    select commission_id, count(*)::int as count from payout_items
    where commission_id = any(${sql.param(entryIds)}::bigint[]) and released_at is null group by commission_id`);
  return new Map(rows.rows.map((row) => [row.commission_id, row.count]));
}

describe('payouts.createBatch', () => {
  it('makes one payout per payable partner and currency from the approved entries, leaving pending ones out', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 1_000 });
    const { partner: alice, entries: aliceEntries } = await createPartnerOwed(db, program, [3_000, 2_500]);
    const clawback = await addApprovedReversal(db, aliceEntries[0]!, 500);
    // The program pays in USD, so its minimum (1 000) does not apply to euros: the default minimum (5 000) does.
    const { partner: bob, entries: [bobEuro] } = await createPartnerOwed(db, program, [5_000], { currency: 'EUR' });
    await db.execute(sql`
      insert into commissions (partner_id, kind, status, level, amount, currency, hold_until, created_by)
      values (${alice.id}, 'earning', 'pending', 0, 9999, 'USD', now() + interval '30 days', 'test')`);

    const { batch, skipped } = await createBatch({ programId: program.id, note: 'March run' });

    expect(skipped).toEqual([]);
    expect(batch).toMatchObject({ status: 'draft', createdBy: admin.actor.userId, note: 'March run', filters: { programId: program.id } });
    const payouts = batch!.payouts.map(({ partnerId, currency, amount, status, items }) => ({
      partnerId,
      currency,
      amount,
      status,
      entries: items.map((item) => item.commissionId),
    }));
    expect(payouts).toEqual(
      expect.arrayContaining([
        { partnerId: alice.id, currency: 'USD', amount: 5_000, status: 'pending', entries: [...aliceEntries, clawback] },
        { partnerId: bob.id, currency: 'EUR', amount: 5_000, status: 'pending', entries: [bobEuro] },
      ]),
    );
    expect(payouts).toHaveLength(2);
    expect(batch!.totals).toEqual([
      { currency: 'EUR', payouts: 1, amount: 5_000, paid: 0 },
      { currency: 'USD', payouts: 1, amount: 5_000, paid: 0 },
    ]);
  });

  it('skips partners on hold, without payout details or a valid tax document, below the minimum or owing, with every reason', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 5_000 });
    const partner = (spec: Parameters<typeof createPayablePartner>[2] = {}) => createPayablePartner(db, program, spec);
    const payable = await partner();
    const fraudHeld = await partner();
    const doublyHeld = await partner();
    const noDetails = await partner({ without: ['payout'] });
    const noDocument = await partner({ without: ['documents'] });
    const expired = await partner({ without: ['documents'] });
    const rejected = await partner({ without: ['documents'] });
    const wrongForm = await partner({ without: ['documents'] });
    const small = await partner();
    const owing = await partner();
    await placeHold(db, fraudHeld.id, 'fraud');
    await placeHold(db, doublyHeld.id, 'fraud');
    await placeHold(db, doublyHeld.id, 'compliance');
    await insertDocument(db, expired.id, 'w9', { expiresOn: '2020-12-31' });
    await insertDocument(db, rejected.id, 'w9', { status: 'rejected' });
    await insertDocument(db, wrongForm.id, 'w8ben');
    for (const who of [payable, fraudHeld, doublyHeld, noDetails, noDocument, expired, rejected, wrongForm]) {
      await addApprovedEntry(db, who.id, 6_000);
    }
    await addApprovedEntry(db, doublyHeld.id, 1);
    await addApprovedEntry(db, small.id, 4_999);
    await addApprovedReversal(db, await addApprovedEntry(db, owing.id, 1_000), 1_000);
    await addApprovedReversal(db, await addApprovedEntry(db, owing.id, 2_000), 2_000);

    const { batch, skipped } = await createBatch({ programId: program.id });

    expect(batch!.payouts.map((payout) => payout.partnerId)).toEqual([payable.id]);
    const reasons = new Map(skipped.map((skip) => [skip.partnerId, skip]));
    const expected: [string, string[], number][] = [
      [fraudHeld.id, ['fraud_hold'], 6_000],
      [doublyHeld.id, ['fraud_hold', 'compliance_hold'], 6_001],
      [noDetails.id, ['missing_payout_details'], 6_000],
      [noDocument.id, ['missing_tax_document'], 6_000],
      [expired.id, ['missing_tax_document'], 6_000],
      [rejected.id, ['missing_tax_document'], 6_000],
      [wrongForm.id, ['missing_tax_document'], 6_000],
      [small.id, ['below_minimum'], 4_999],
      [owing.id, ['nothing_to_pay'], 0],
    ];
    for (const [partnerId, why, amount] of expected) {
      expect(reasons.get(partnerId)).toEqual({ partnerId, currency: 'USD', amount, minimum: 5_000, reasons: why });
    }
    expect(skipped).toHaveLength(expected.length);
    expect(batch!.skipped).toEqual(skipped);
  });

  it('reports a held partner below the minimum with both reasons, and leaves its entries unreserved', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 5_000 });
    const { partner: held, entries: [entry] } = await createPartnerOwed(db, program, [100]);
    await placeHold(db, held.id, 'compliance');
    const { batch, skipped } = await createBatch({ partnerIds: [held.id] });
    expect(batch).toBeNull();
    expect(skipped).toEqual([{ partnerId: held.id, currency: 'USD', amount: 100, minimum: 5_000, reasons: ['compliance_hold', 'below_minimum'] }]);
    expect(await reservedEntries([entry])).toEqual(new Map());
  });

  it('takes the minimum from the program configuration in force now, not a past or future version', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 1_000 });
    const minute = 60_000;
    await addProgramVersion(db, program.id, 2, threeLevelConfiguration({ rules: { minimumPayout: 20_000 } }), new Date(Date.now() - minute));
    await addProgramVersion(db, program.id, 3, threeLevelConfiguration({ rules: { minimumPayout: 100 } }), new Date(Date.now() + 60 * minute));
    const { partner } = await createPartnerOwed(db, program, [10_000]);
    const { batch, skipped } = await createBatch({ programId: program.id });
    expect(batch).toBeNull();
    expect(skipped).toEqual([{ partnerId: partner.id, currency: 'USD', amount: 10_000, minimum: 20_000, reasons: ['below_minimum'] }]);
  });

  it('reserves the entries it pays: a second batch leaves them out and takes only entries approved since', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 1_000 });
    const { partner, entries: [first] } = await createPartnerOwed(db, program, [2_000]);
    const one = await createBatch({ programId: program.id });
    const later = await addApprovedEntry(db, partner.id, 1_500);
    const two = await createBatch({ programId: program.id });
    const three = await createBatch({ programId: program.id });

    expect(one.batch!.payouts.map((payout) => [payout.amount, payout.items.map((item) => item.commissionId)])).toEqual([[2_000, [first]]]);
    expect(two.batch!.payouts.map((payout) => [payout.amount, payout.items.map((item) => item.commissionId)])).toEqual([[1_500, [later]]]);
    expect(three).toEqual({ batch: null, skipped: [] });
    expect(await reservedEntries([first, later])).toEqual(new Map([[first, 1], [later, 1]]));
  });

  it('lets only one of two concurrent batch creations take an entry', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    const partners = await Promise.all(Array.from({ length: 4 }, () => createPayablePartner(db, program)));
    const entries = await Promise.all(partners.map((partner) => addApprovedEntry(db, partner.id, 1_000)));
    const results = await Promise.all([createBatch({ programId: program.id }), createBatch({ programId: program.id })]);
    const taken = results.flatMap((result) => result.batch?.payouts.flatMap((payout) => payout.items.map((item) => item.commissionId)) ?? []);
    expect(taken.sort((a, b) => a - b)).toEqual([...entries].sort((a, b) => a - b));
    expect(results.filter((result) => result.batch === null)).toHaveLength(1);
  });

  it('filters by partner and currency, and reports a requested partner with nothing approved', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    const [chosen, idle, other] = [await createPayablePartner(db, program), await createPayablePartner(db, program), await createPayablePartner(db, program)];
    await addApprovedEntry(db, chosen.id, 1_000);
    await addApprovedEntry(db, chosen.id, 1_000, { currency: 'EUR' });
    await addApprovedEntry(db, other.id, 1_000);
    const { batch, skipped } = await createBatch({ partnerIds: [chosen.id, idle.id], currency: 'USD' });
    expect(batch!.payouts.map((payout) => [payout.partnerId, payout.currency])).toEqual([[chosen.id, 'USD']]);
    expect(skipped).toEqual([{ partnerId: idle.id, currency: null, amount: 0, minimum: null, reasons: ['nothing_to_pay'] }]);
  });

  it('refuses filters naming a program or partner that does not exist', async () => {
    const partnerId = randomUUID();
    await expect(createBatch({ partnerIds: [partnerId] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `Partner ${partnerId} does not exist` });
    await expect(createBatch({ programId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('pays a partner once payout details and a tax document are on file', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    const partner = await createPayablePartner(db, program, { without: ['payout', 'documents'] });
    await addApprovedEntry(db, partner.id, 1_000);
    expect((await createBatch({ partnerIds: [partner.id] })).skipped[0]?.reasons).toEqual(['missing_payout_details']);
    await insertPayoutDetails(db, partner.id);
    expect((await createBatch({ partnerIds: [partner.id] })).skipped[0]?.reasons).toEqual(['missing_tax_document']);
    await insertDocument(db, partner.id, 'w9', { expiresOn: '2999-01-01' });
    expect((await createBatch({ partnerIds: [partner.id] })).batch?.payouts).toHaveLength(1);
  });
});

describe('payouts.cancel', () => {
  it('releases the reservation: the next batch takes the same entries', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    const { entries: [entry] } = await createPartnerOwed(db, program, [1_000]);
    const { batch } = await createBatch({ programId: program.id });
    const cancelled = await cancelPayouts(db, admin, cancelInput.parse({ batchId: batch!.id, reason: 'wrong period' }));
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'wrong period', cancelledBy: admin.actor.userId });
    expect(cancelled.payouts[0]).toMatchObject({ status: 'cancelled', items: [{ commissionId: entry, releaseReason: 'batch_cancelled' }] });
    const next = await createBatch({ programId: program.id });
    expect(next.batch!.payouts[0]!.items.map((item) => item.commissionId)).toEqual([entry]);
    await expect(cancelPayouts(db, admin, cancelInput.parse({ batchId: batch!.id, reason: 'again' }))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'Payout batch is cancelled; it cannot become cancelled',
    });
  });

  it('cancels one payout of a draft, and the batch with its last payout', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    await createPartnerOwed(db, program, [1_000]);
    await createPartnerOwed(db, program, [1_000]);
    const { batch } = await createBatch({ programId: program.id });
    const [first, second] = batch!.payouts;
    const afterOne = await cancelPayouts(db, admin, cancelInput.parse({ payoutId: first!.id, reason: 'partner asked to wait' }));
    expect(afterOne.status).toBe('draft');
    expect(afterOne.payouts.find((payout) => payout.id === first!.id)).toMatchObject({ status: 'cancelled', cancelReason: 'partner asked to wait' });
    const afterTwo = await cancelPayouts(db, admin, cancelInput.parse({ payoutId: second!.id, reason: 'not this month' }));
    expect(afterTwo).toMatchObject({ status: 'cancelled', cancelReason: 'every payout was cancelled' });
  });

  it('names the field when neither or both of batchId and payoutId are given', () => {
    expect(() => cancelInput.parse({ reason: 'x' })).toThrow(/give either batchId/);
    expect(() => cancelInput.parse({ batchId: randomUUID(), payoutId: randomUUID(), reason: 'x' })).toThrow(/give either batchId/);
  });
});

describe('recording the processor’s answer', () => {
  /** A processor that never answers: every payment stays unconfirmed. */
  const silent: PaymentProcessor = {
    callTimeoutMs: 1_000,
    submit: async (orders) => new Map(orders.map((order) => [order.reference, { kind: 'unconfirmed', code: 'timeout', message: 'no answer' }])),
    lookup: async (references) => new Map(references.map((reference) => [reference, null])),
  };
  const paid: PaymentOutcome = { kind: 'paid', processorPaymentId: 'payment_1', processorBatchId: 'batch_1' };

  it('records an answer only for the current attempt, and settles the ledger once', async () => {
    const program = await createPayoutProgram(db, { minimumPayout: 100 });
    const { partner } = await createPartnerOwed(db, program, [1_000]);
    const { batch } = await createBatch({ partnerIds: [partner.id] });
    await approvePayoutBatch(db, callerFor(['affiliate_admin']), { batchId: batch!.id });
    const submitted = await submitPayoutBatch(db, silent, admin, { batchId: batch!.id });
    const payout = submitted.payouts[0]!;
    expect(payout).toMatchObject({ status: 'unconfirmed', attempts: 1, failureCode: 'timeout' });
    // A retry claimed the payout as attempt 2 (committed), then the late answer of attempt 1 arrives.
    await db.execute(sql`update payouts set status = 'submitting', attempts = 2 where id = ${payout.id}`);
    const claimed = { id: payout.id, batchId: batch!.id, partnerId: partner.id, currency: 'USD', amount: 1_000 };

    expect(await recordOutcome(db, admin.actor, { ...claimed, attempt: 1 }, paid)).toBe(false);
    expect(await ledgerSummary(db, partner.id)).toMatchObject({ approved: 1_000, payoutEntries: 0 });
    expect(await recordOutcome(db, admin.actor, { ...claimed, attempt: 2 }, paid)).toBe(true);
    expect(await recordOutcome(db, admin.actor, { ...claimed, attempt: 2 }, paid)).toBe(false);
    expect(await ledgerSummary(db, partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 1_000, payoutEntries: 1 });
    const activity = await db.execute<{ action: string }>(sql`
      select action from activity where entity_type = 'payout' and entity_id = ${payout.id} order by id`);
    expect(activity.rows.map((row) => row.action)).toEqual(['payout.submit', 'payout.unconfirmed', 'payout.paid']);
  });
});
