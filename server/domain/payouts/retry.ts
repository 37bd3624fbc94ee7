import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { PayoutStatus } from '../../../db/schema/payouts.js';
import type { PaymentProcessor } from '../../payments/processor.js';
import { AppError, illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { dispatchPayouts } from './dispatch.js';
import { lockBatch } from './locks.js';
import { claimedColumns, type ClaimedPayout } from './outcome.js';
import { getPayoutBatch } from './read.js';
import type { RetryInput } from './schemas.js';
import type { PayoutCaller } from './caller.js';

/**
 * Payouts a retry moves on: failed, unconfirmed and processing ones, and submitting ones whose attempt is older than
 * twice the processor timeout (the process that made it crashed before recording the answer). A fresher submitting
 * payout is still in flight.
 */
function retryable(staleAfterMs: number) {
  return sql`(status in ('failed', 'unconfirmed', 'processing')
    or (status = 'submitting' and last_attempt_at < now() - make_interval(secs => ${staleAfterMs / 1000})))`;
}

/**
 * Retries the payouts of a submitted batch (all that can move on, or the given ones). They are marked submitting
 * first (committed); then the processor is asked about each reference and only payments it does not hold are sent
 * again, so a payment made before a timeout or crash is recorded, never repeated. A payment the processor reports
 * failed stays failed (its reference is spent): cancel the payout and its entries go into the next batch.
 */
export async function retryPayouts(db: Database, processor: PaymentProcessor, caller: PayoutCaller, input: RetryInput) {
  const staleAfterMs = 2 * processor.callTimeoutMs;
  const claimed = await db.transaction(async (tx) => {
    const batch = await lockBatch(tx, input.batchId);
    if (batch.status !== 'submitted') {
      throw new AppError('CONFLICT', `Payout batch is ${batch.status}; only a submitted batch has payouts to retry`, {
        current: batch.status,
        requested: 'retry',
      });
    }
    if (input.payoutIds) await checkRetryable(tx, input.batchId, input.payoutIds, staleAfterMs);
    const marked = await tx.execute<ClaimedPayout & { previous: PayoutStatus }>(sql`
      with target as (
        select id, status from payouts
        where batch_id = ${input.batchId} and ${retryable(staleAfterMs)}
          ${input.payoutIds ? sql`and id = any(${sql.param(input.payoutIds)}::uuid[])` : sql``}
        order by id for update
      )
      update payouts p set status = 'submitting', attempts = p.attempts + 1, last_attempt_at = now(), updated_at = now()
      from target t where p.id = t.id
      returning ${claimedColumns('p')}, t.status as previous`);
    await recordActivity(
      tx,
      caller.actor,
      marked.rows.map((payout) => ({
        action: 'payout.retry',
        entityType: 'payout',
        entityId: payout.id,
        before: { status: payout.previous },
        after: { status: 'submitting', attempt: payout.attempt },
      })),
    );
    return marked.rows.map(({ previous: _previous, ...payout }) => payout);
  });
  await dispatchPayouts(db, processor, caller.actor, claimed, 'reconcile', `Payout batch ${input.batchId} (retry)`);
  return getPayoutBatch(db, caller.ability, input.batchId);
}

/** Named payouts must belong to the batch (NOT_FOUND) and be retryable now (CONFLICT naming their status). */
async function checkRetryable(tx: Executor, batchId: string, payoutIds: string[], staleAfterMs: number) {
  const rows = await tx.execute<{ id: string; status: PayoutStatus; retryable: boolean }>(sql`
    select id, status, ${retryable(staleAfterMs)} as retryable
    from payouts where batch_id = ${batchId} and id = any(${sql.param(payoutIds)}::uuid[])`);
  const found = new Map(rows.rows.map((row) => [row.id, row]));
  for (const id of payoutIds) {
    const payout = found.get(id);
    if (!payout) throw notFound('Payout', id);
    if (payout.retryable) continue;
    if (payout.status === 'submitting') {
      throw new AppError('CONFLICT', `Payout ${id} is submitting: an attempt is in flight; retry it once that attempt has answered or timed out`, {
        current: 'submitting',
        requested: 'submitting',
      });
    }
    throw illegalTransition(`Payout ${id}`, payout.status, 'submitting');
  }
}
