import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestPartner, TestProgram } from './helpers/factories/partners.js';
import {
  addApprovedEntry,
  createPartnerOwed,
  createPayoutProgram,
  ledgerSummary,
  placeHold,
  reverseFully,
} from './helpers/factories/payouts.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestTipalti } from './helpers/fake-tipalti.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const db = database.db;
const tipalti = await startTestTipalti();
const server = await startTestServer(database, { ...tipalti.env, SCHEDULER_ENABLED: 'false' });
const creator = await server.client(['affiliate_admin']);
const approver = await server.client(['affiliate_admin']);
let program: TestProgram;

beforeAll(async () => {
  program = await createPayoutProgram(db, { minimumPayout: 1_000 });
  await db.execute(sql`
    insert into webhook_endpoints (url, events, secret, created_by)
    values ('https://hooks.example.com/payouts', array['payout.paid', 'payout.failed'], 'whsec_test', 'test')`);
});

/** A payable partner with approved entries of these amounts (USD minor units), booked to the program. */
const partnerOwed = (...amounts: number[]) => createPartnerOwed(db, program, amounts, { programId: program.id });

/** A batch for these partners, created by one admin and approved by another. */
async function approvedBatch(...partners: TestPartner[]) {
  const { batch } = await creator.payouts.createBatch.mutate({ partnerIds: partners.map((partner) => partner.id) });
  await approver.payouts.approve.mutate({ batchId: batch!.id });
  return batch!;
}

const payoutOf = <P extends { partnerId: string }>(batch: { payouts: P[] }, partner: TestPartner): P =>
  batch.payouts.find((payout) => payout.partnerId === partner.id)!;

async function webhookEvents(payoutId: string): Promise<string[]> {
  const rows = await db.execute<{ event_type: string }>(sql`
    select event_type from webhook_deliveries where (body::jsonb -> 'data' ->> 'id') = ${payoutId} order by created_at`);
  return rows.rows.map((row) => row.event_type);
}

async function paidNotices(partnerId: string): Promise<number> {
  const rows = await db.execute<{ count: number }>(sql`
    select count(*)::int as count from notifications where partner_id = ${partnerId} and kind = 'payout_paid'`);
  return rows.rows[0]!.count;
}

describe('a payout run against the local Tipalti', () => {
  it('pays every payout once, marks the entries paid and tells the partner and the webhooks', async () => {
    const alice = await partnerOwed(2_000, 1_050);
    const bob = await partnerOwed(7_500);
    const batch = await approvedBatch(alice.partner, bob.partner);

    const submitted = await creator.payouts.submit.mutate({ batchId: batch.id });

    expect(submitted).toMatchObject({ status: 'completed', submittedBy: expect.any(String), completedAt: expect.any(Date) });
    expect(submitted.payouts.map((payout) => payout.status)).toEqual(['paid', 'paid']);
    const aliceOut = payoutOf(submitted, alice.partner);
    expect(tipalti.payments().filter((payment) => payment.refCode === aliceOut.id)).toEqual([
      expect.objectContaining({ payeeId: alice.partner.id, amountSubmitted: { amount: '30.50', currency: 'USD' }, status: 'Paid' }),
    ]);
    expect(tipalti.paymentsPerReference().get(payoutOf(submitted, bob.partner).id)).toBe(1);
    expect(await ledgerSummary(db, alice.partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 3_050, payoutEntries: 1 });
    expect(await ledgerSummary(db, bob.partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 7_500, payoutEntries: 1 });
    const entries = await db.execute<{ status: string; payout_id: string }>(sql`
      select status, payout_id from commissions where id = any(${sql.param(alice.entries)}::bigint[])`);
    expect(entries.rows).toEqual([
      { status: 'paid', payout_id: aliceOut.id },
      { status: 'paid', payout_id: aliceOut.id },
    ]);
    expect(await webhookEvents(aliceOut.id)).toEqual(['payout.paid']);
    expect(await paidNotices(alice.partner.id)).toBeGreaterThan(0);
  });

  it('submits a batch once: submitting again, even concurrently, is CONFLICT and sends nothing', async () => {
    const { partner } = await partnerOwed(4_000);
    const batch = await approvedBatch(partner);
    const results = await Promise.allSettled([
      creator.payouts.submit.mutate({ batchId: batch.id }),
      approver.payouts.submit.mutate({ batchId: batch.id }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const again = creator.payouts.submit.mutate({ batchId: batch.id });
    await expect(again).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Payout batch is completed; it cannot become submitted',
    });
    expect(tipalti.paymentsPerReference().get(batch.payouts[0]!.id)).toBe(1);
    expect(tipalti.instructionsPerReference().get(batch.payouts[0]!.id)).toBe(1);
    expect((await ledgerSummary(db, partner.id)).paidOut).toBe(4_000);
  });
});

describe('four eyes', () => {
  it('lets only another Affiliate Admin approve, and only an approved batch be submitted', async () => {
    const { partner } = await partnerOwed(3_000);
    const { batch } = await creator.payouts.createBatch.mutate({ partnerIds: [partner.id] });
    await expect(creator.payouts.approve.mutate({ batchId: batch!.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
      message: 'Forbidden: you created this payout batch, so another Affiliate Admin must approve it (four-eyes rule)',
    });
    await expect(creator.payouts.submit.mutate({ batchId: batch!.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Payout batch is draft; it cannot become submitted',
    });
    expect(tipalti.instructionsPerReference().has(batch!.payouts[0]!.id)).toBe(false);
    const approved = await approver.payouts.approve.mutate({ batchId: batch!.id });
    expect(approved).toMatchObject({ status: 'approved', approvedBy: expect.any(String) });
    expect(approved.approvedBy).not.toBe(approved.createdBy);
    await expect(approver.payouts.approve.mutate({ batchId: batch!.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Payout batch is approved; it cannot become approved',
    });
    await creator.payouts.cancel.mutate({ batchId: batch!.id, reason: 'test over' });
  });
});

describe('failures and retries', () => {
  it('leaves a refused payout failed with the ledger untouched, then pays it on retry without paying anyone twice', async () => {
    const good = await partnerOwed(2_500);
    const refused = await partnerOwed(6_000);
    tipalti.rejectPayee(refused.partner.id, 'PayeeNotPayable', 'payment method not set up in Tipalti');
    const batch = await approvedBatch(good.partner, refused.partner);

    const afterSubmit = await creator.payouts.submit.mutate({ batchId: batch.id });
    const refusedPayout = payoutOf(afterSubmit, refused.partner);
    expect(afterSubmit.status).toBe('submitted');
    expect(payoutOf(afterSubmit, good.partner).status).toBe('paid');
    expect(refusedPayout).toMatchObject({ status: 'failed', failureCode: 'PayeeNotPayable', attempts: 1 });
    expect(await ledgerSummary(db, refused.partner.id)).toEqual({ balance: 6_000, approved: 6_000, paidOut: 0, payoutEntries: 0 });
    expect(await webhookEvents(refusedPayout.id)).toEqual(['payout.failed']);

    const stillRefused = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(payoutOf(stillRefused, refused.partner)).toMatchObject({ status: 'failed', attempts: 2 });

    tipalti.acceptPayee(refused.partner.id);
    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(retried.status).toBe('completed');
    expect(payoutOf(retried, refused.partner)).toMatchObject({ status: 'paid', attempts: 3, failureCode: null });
    expect(tipalti.paymentsPerReference().get(refusedPayout.id)).toBe(1);
    expect(tipalti.paymentsPerReference().get(payoutOf(afterSubmit, good.partner).id)).toBe(1);
    expect(await ledgerSummary(db, refused.partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 6_000, payoutEntries: 1 });
    expect(await ledgerSummary(db, good.partner.id)).toMatchObject({ paidOut: 2_500, payoutEntries: 1 });
    expect(await webhookEvents(refusedPayout.id)).toEqual(['payout.failed', 'payout.failed', 'payout.paid']);
  });

  it('treats a 5xx as unconfirmed: the retry asks Tipalti first and sends only what it does not hold', async () => {
    const { partner } = await partnerOwed(1_500);
    const batch = await approvedBatch(partner);
    tipalti.failNext('batches', 503);
    const afterSubmit = await creator.payouts.submit.mutate({ batchId: batch.id });
    expect(afterSubmit.payouts[0]).toMatchObject({ status: 'unconfirmed', failureCode: 'http_503' });
    expect(await ledgerSummary(db, partner.id)).toMatchObject({ approved: 1_500, paidOut: 0 });
    expect(await webhookEvents(afterSubmit.payouts[0]!.id)).toEqual([]);
    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(retried.payouts[0]!.status).toBe('paid');
    expect(tipalti.paymentsPerReference().get(batch.payouts[0]!.id)).toBe(1);
  });

  it('does not pay twice when Tipalti made the payment but the answer timed out', async () => {
    const { partner } = await partnerOwed(8_800);
    const batch = await approvedBatch(partner);
    const reference = batch.payouts[0]!.id;
    tipalti.hangNext('batches', { process: true });
    const afterSubmit = await creator.payouts.submit.mutate({ batchId: batch.id });
    expect(afterSubmit.payouts[0]).toMatchObject({ status: 'unconfirmed', failureCode: 'timeout' });
    expect(tipalti.paymentsPerReference().get(reference)).toBe(1);
    expect(await ledgerSummary(db, partner.id)).toMatchObject({ approved: 8_800, paidOut: 0 });

    tipalti.hangNext('payments', { process: false });
    const queryTimedOut = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(queryTimedOut.payouts[0]).toMatchObject({ status: 'unconfirmed', attempts: 2 });

    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(retried).toMatchObject({ status: 'completed', payouts: [{ status: 'paid', attempts: 3 }] });
    expect(tipalti.instructionsPerReference().get(reference)).toBe(1);
    expect(tipalti.paymentsPerReference().get(reference)).toBe(1);
    expect(await ledgerSummary(db, partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 8_800, payoutEntries: 1 });
  });

  it('sends again after a timeout in which Tipalti made no payment, once', async () => {
    const { partner } = await partnerOwed(1_200);
    const batch = await approvedBatch(partner);
    const reference = batch.payouts[0]!.id;
    tipalti.hangNext('batches', { process: false });
    await creator.payouts.submit.mutate({ batchId: batch.id });
    expect(tipalti.paymentsPerReference().has(reference)).toBe(false);
    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(retried.payouts[0]!.status).toBe('paid');
    expect(tipalti.paymentsPerReference().get(reference)).toBe(1);
    expect((await ledgerSummary(db, partner.id)).paidOut).toBe(1_200);
  });

  it('recovers a payout left submitting by a crash, without sending a payment Tipalti already holds', async () => {
    const made = await partnerOwed(2_200);
    const lost = await partnerOwed(3_300);
    const batch = await approvedBatch(made.partner, lost.partner);
    // What a crash between "mark submitting" (committed) and recording the answer leaves behind.
    await db.execute(sql`update payout_batches set status = 'submitted', submitted_at = now() where id = ${batch.id}`);
    await db.execute(sql`
      update payouts set status = 'submitting', attempts = 1, last_attempt_at = now() - interval '1 hour' where batch_id = ${batch.id}`);
    const madePayout = payoutOf(batch, made.partner);
    await directPayment(madePayout.id, made.partner.id, '22.00');

    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });

    expect(retried.status).toBe('completed');
    expect(retried.payouts.map((payout) => payout.status)).toEqual(['paid', 'paid']);
    expect(tipalti.instructionsPerReference().get(madePayout.id)).toBe(1);
    expect(tipalti.paymentsPerReference().get(payoutOf(batch, lost.partner).id)).toBe(1);
    expect((await ledgerSummary(db, made.partner.id)).paidOut).toBe(2_200);
    expect((await ledgerSummary(db, lost.partner.id)).paidOut).toBe(3_300);
  });

  it('leaves a payout whose attempt is in flight alone', async () => {
    const { partner } = await partnerOwed(1_100);
    const batch = await approvedBatch(partner);
    await db.execute(sql`update payout_batches set status = 'submitted' where id = ${batch.id}`);
    // An attempt that just started; dated a little ahead so a slow machine cannot age it past the stale threshold.
    await db.execute(sql`
      update payouts set status = 'submitting', attempts = 1, last_attempt_at = now() + interval '1 minute' where batch_id = ${batch.id}`);
    const payoutId = batch.payouts[0]!.id;
    await expect(creator.payouts.retry.mutate({ batchId: batch.id, payoutIds: [payoutId] })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('an attempt is in flight'),
    });
    const untouched = await creator.payouts.retry.mutate({ batchId: batch.id });
    expect(untouched.payouts[0]).toMatchObject({ status: 'submitting', attempts: 1 });
    expect(tipalti.instructionsPerReference().has(payoutId)).toBe(false);
  });

  it('reads a payment Tipalti is still processing as processing, and as paid once Tipalti paid it', async () => {
    const { partner } = await partnerOwed(4_400);
    const batch = await approvedBatch(partner);
    tipalti.setSettlement('manual');
    try {
      const afterSubmit = await creator.payouts.submit.mutate({ batchId: batch.id });
      expect(afterSubmit).toMatchObject({ status: 'submitted', payouts: [{ status: 'processing' }] });
    } finally {
      tipalti.setSettlement('immediate');
    }
    expect((await ledgerSummary(db, partner.id)).paidOut).toBe(0);
    expect((await creator.payouts.retry.mutate({ batchId: batch.id })).payouts[0]!.status).toBe('processing');
    tipalti.settle(batch.payouts[0]!.id, 'Paid');
    expect((await creator.payouts.retry.mutate({ batchId: batch.id })).payouts[0]!.status).toBe('paid');
    expect(tipalti.instructionsPerReference().get(batch.payouts[0]!.id)).toBe(1);
    expect((await ledgerSummary(db, partner.id)).paidOut).toBe(4_400);
  });

  it('lets a failed payout be cancelled, releasing its entries, but not an unconfirmed one', async () => {
    const refused = await partnerOwed(5_000);
    const unsure = await partnerOwed(5_100);
    tipalti.rejectPayee(refused.partner.id);
    const batch = await approvedBatch(refused.partner);
    await creator.payouts.submit.mutate({ batchId: batch.id });
    const cancelled = await creator.payouts.cancel.mutate({ payoutId: batch.payouts[0]!.id, reason: 'payee left the program' });
    expect(cancelled).toMatchObject({ status: 'cancelled', payouts: [{ status: 'cancelled', items: [{ releaseReason: 'payout_cancelled' }] }] });
    const next = await creator.payouts.createBatch.mutate({ partnerIds: [refused.partner.id] });
    expect(next.batch!.payouts[0]!.items.map((item) => item.commissionId)).toEqual(refused.entries);
    await creator.payouts.cancel.mutate({ batchId: next.batch!.id, reason: 'test over' });

    const unsureBatch = await approvedBatch(unsure.partner);
    tipalti.failNext('batches', 502);
    await creator.payouts.submit.mutate({ batchId: unsureBatch.id });
    await expect(creator.payouts.cancel.mutate({ payoutId: unsureBatch.payouts[0]!.id, reason: 'give up' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Payout is unconfirmed; it cannot become cancelled',
    });
    await expect(creator.payouts.cancel.mutate({ batchId: unsureBatch.id, reason: 'give up' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Payout batch is submitted; it cannot become cancelled',
    });
  });
});

describe('the ledger changing under a batch', () => {
  it('drops an entry reversed before submission and a partner put on hold, paying what is left', async () => {
    const shrinking = await partnerOwed(2_000, 3_000);
    const held = await partnerOwed(4_000);
    const batch = await approvedBatch(shrinking.partner, held.partner);
    await reverseFully(db, shrinking.entries[0]!);
    await placeHold(db, held.partner.id, 'fraud');

    const submitted = await creator.payouts.submit.mutate({ batchId: batch.id });

    expect(payoutOf(submitted, shrinking.partner)).toMatchObject({ status: 'paid', amount: 3_000 });
    expect(payoutOf(submitted, held.partner)).toMatchObject({ status: 'cancelled', cancelReason: 'not_payable: fraud_hold' });
    expect(tipalti.payments().find((payment) => payment.refCode === payoutOf(batch, shrinking.partner).id)?.amountSubmitted).toEqual({
      amount: '30.00',
      currency: 'USD',
    });
    expect(tipalti.paymentsPerReference().has(payoutOf(batch, held.partner).id)).toBe(false);
    expect(await ledgerSummary(db, shrinking.partner.id)).toEqual({ balance: 0, approved: 0, paidOut: 3_000, payoutEntries: 1 });
    expect(await ledgerSummary(db, held.partner.id)).toMatchObject({ approved: 4_000, paidOut: 0 });
  });

  it('records what Tipalti paid when an entry was reversed while the payment was in flight, as a debt the next payout nets', async () => {
    const { partner, entries } = await partnerOwed(2_000, 3_000);
    const batch = await approvedBatch(partner);
    tipalti.hangNext('batches', { process: true });
    await creator.payouts.submit.mutate({ batchId: batch.id });
    await reverseFully(db, entries[0]!);

    const retried = await creator.payouts.retry.mutate({ batchId: batch.id });

    expect(retried.payouts[0]).toMatchObject({ status: 'paid', amount: 5_000 });
    expect(retried.payouts[0]!.items).toEqual([
      { commissionId: entries[0], amount: 2_000, releasedAt: expect.any(Date), releaseReason: 'not_settled' },
      { commissionId: entries[1], amount: 3_000, releasedAt: null, releaseReason: null },
    ]);
    expect(await ledgerSummary(db, partner.id)).toEqual({ balance: -2_000, approved: -2_000, paidOut: 3_000, payoutEntries: 1 });
    await addApprovedEntry(db, partner.id, 2_500, { programId: program.id });
    const next = await creator.payouts.createBatch.mutate({ partnerIds: [partner.id] });
    expect(next.skipped).toEqual([{ partnerId: partner.id, currency: 'USD', amount: 500, minimum: 1_000, reasons: ['below_minimum'] }]);
  });
});

describe('reading payouts', () => {
  it('lists batches newest first, page by page, for admins and compliance officers only', async () => {
    const compliance = await server.client(['compliance_officer']);
    const manager = await server.client(['partner_manager']);
    const first = await compliance.payouts.list.query({ limit: 1 });
    expect(first.items).toHaveLength(1);
    const second = await compliance.payouts.list.query({ limit: 1, cursor: first.nextCursor! });
    expect(second.items[0]!.createdAt <= first.items[0]!.createdAt).toBe(true);
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    const completed = await creator.payouts.list.query({ status: 'completed', limit: 200 });
    expect(completed.items.every((batch) => batch.status === 'completed' && batch.statusCounts.paid! > 0)).toBe(true);
    const detail = await compliance.payouts.get.query({ batchId: first.items[0]!.id });
    expect(detail.id).toBe(first.items[0]!.id);
    await expect(manager.payouts.list.query({})).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(compliance.payouts.createBatch.mutate({})).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('answers NOT_FOUND for a batch that does not exist and BAD_REQUEST naming a malformed id', async () => {
    const batchId = randomUUID();
    await expect(creator.payouts.get.query({ batchId })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: `Payout batch ${batchId} does not exist`,
    });
    await expect(creator.payouts.get.query({ batchId: 'not-a-uuid' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('batchId'),
    });
  });
});

/** A payment made straight at the fake, as a call whose answer was lost to a crash would have made it. */
async function directPayment(refCode: string, payeeId: string, amount: string) {
  const token = await fetch(`${tipalti.url}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: tipalti.env.TIPALTI_CLIENT_ID!,
      client_secret: tipalti.env.TIPALTI_CLIENT_SECRET!,
    }),
  }).then((response) => response.json() as Promise<{ access_token: string }>);
  const response = await fetch(`${tipalti.url}/api/v1/payment-batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payerName: 'test', title: 'crashed call', paymentInstructions: [{ refCode, payeeId, amountSubmitted: { amount, currency: 'USD' } }] }),
  });
  expect(response.status).toBe(201);
}
