import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import type { PayoutStatus } from '../../../db/schema/payouts.js';
import type { Actor } from '../../context.js';
import type { PaymentOutcome } from '../../payments/processor.js';
import { recordActivity } from '../audit/record.js';
import { closeBatchWhenSettled } from './batch-status.js';
import { announceFailed, announcePaid } from './events.js';
import { lockBatch } from './locks.js';
import { settlePayout } from './settlement.js';
import { nextPayoutStatus, type PayoutAction } from './status-machine.js';

/** A payout moved to submitting by one attempt; only that attempt may record the processor's answer. */
export type ClaimedPayout = {
  id: string;
  batchId: string;
  partnerId: string;
  currency: string;
  amount: number;
  attempt: number;
};

/** The RETURNING list that reads a claimed payout back from an update of `payouts` aliased `alias`. */
export function claimedColumns(alias: string): SQL {
  const a = sql.raw(alias);
  return sql`${a}.id, ${a}.batch_id as "batchId", ${a}.partner_id as "partnerId", ${a}.currency, ${a}.amount, ${a}.attempts as attempt`;
}

const ACTION_FOR: Record<PaymentOutcome['kind'], PayoutAction> = {
  paid: 'pay',
  processing: 'process',
  failed: 'fail',
  unconfirmed: 'lose',
};

/**
 * Records the processor's answer for one payout in its own transaction, after the call (never during it). An answer
 * for an attempt that is no longer current (a retry took the payout over) is dropped: the newer attempt records its
 * own. Paid settles the ledger and announces the payment; failed announces the failure; the batch closes when its
 * last payout is settled. Returns whether the answer was recorded.
 */
export async function recordOutcome(db: Database, actor: Actor, payout: ClaimedPayout, outcome: PaymentOutcome): Promise<boolean> {
  return db.transaction(async (tx) => {
    const batch = await lockBatch(tx, payout.batchId);
    const current = await tx.execute<{ status: PayoutStatus; attempts: number }>(sql`
      select status, attempts from payouts where id = ${payout.id} for update`);
    const row = current.rows[0];
    if (!row || row.status !== 'submitting' || row.attempts !== payout.attempt) return false;
    const status = nextPayoutStatus(row.status, ACTION_FOR[outcome.kind]);
    const facts = { id: payout.id, batchId: payout.batchId, partnerId: payout.partnerId, amount: payout.amount, currency: payout.currency };
    let ledger: Awaited<ReturnType<typeof settlePayout>> | null = null;
    if (outcome.kind === 'failed' || outcome.kind === 'unconfirmed') {
      const paymentId = outcome.kind === 'failed' ? outcome.processorPaymentId : null;
      await tx.execute(sql`
        update payouts set status = ${status}, failure_code = ${outcome.code}, failure_message = ${outcome.message},
          processor_payment_id = coalesce(${paymentId}, processor_payment_id), updated_at = now()
        where id = ${payout.id}`);
      if (outcome.kind === 'failed') await announceFailed(tx, facts, outcome);
    } else {
      const paidAt = outcome.kind === 'paid' ? sql`now()` : sql`null`;
      // Raw statements return timestamps as text (drizzle's pg type parsers), hence the Date below.
      const updated = await tx.execute<{ paid_at: string | null }>(sql`
        update payouts set status = ${status}, paid_at = ${paidAt}, processor_payment_id = ${outcome.processorPaymentId},
          processor_batch_id = ${outcome.processorBatchId}, failure_code = null, failure_message = null, updated_at = now()
        where id = ${payout.id} returning paid_at`);
      if (outcome.kind === 'paid') {
        ledger = await settlePayout(tx, actor, payout);
        await announcePaid(tx, facts, new Date(updated.rows[0]!.paid_at!), outcome.processorPaymentId);
      }
    }
    await recordActivity(tx, actor, {
      action: `payout.${outcome.kind}`,
      entityType: 'payout',
      entityId: payout.id,
      before: { status: row.status },
      after: { status, attempt: payout.attempt, ...outcomeFacts(outcome), ...(ledger ?? {}) },
    });
    await closeBatchWhenSettled(tx, actor, batch);
    return true;
  });
}

function outcomeFacts(outcome: PaymentOutcome): Record<string, unknown> {
  if (outcome.kind === 'unconfirmed') return { code: outcome.code, message: outcome.message };
  if (outcome.kind === 'failed') return { code: outcome.code, message: outcome.message, processorPaymentId: outcome.processorPaymentId };
  return { processorPaymentId: outcome.processorPaymentId, processorBatchId: outcome.processorBatchId };
}
