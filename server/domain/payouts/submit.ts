import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { PaymentProcessor } from '../../payments/processor.js';
import { recordActivity, type ActivityEntry } from '../audit/record.js';
import { closeBatchWhenSettled } from './batch-status.js';
import type { PayoutCaller } from './caller.js';
import { dispatchPayouts } from './dispatch.js';
import { partnerSkipReasons } from './eligibility-sql.js';
import { lockBatch, releaseItems } from './locks.js';
import { claimedColumns, type ClaimedPayout } from './outcome.js';
import { getPayoutBatch } from './read.js';
import type { BatchRef } from './schemas.js';
import { nextBatchStatus } from './status-machine.js';

/**
 * Sends an approved batch to the processor. First, in one transaction: the batch becomes submitted, each payout is
 * brought up to date with the ledger and the partner (see `refreshPendingPayouts`) and marked submitting. That
 * commits before any network call; the processor's answers are recorded afterwards, one transaction per payout.
 * Only an approved batch can be submitted (CONFLICT naming its status), so a second submit sends nothing.
 */
export async function submitPayoutBatch(db: Database, processor: PaymentProcessor, caller: PayoutCaller, input: BatchRef) {
  const claimed = await db.transaction(async (tx) => {
    const batch = await lockBatch(tx, input.batchId);
    const status = nextBatchStatus(batch.status, 'submit');
    const refreshed = await refreshPendingPayouts(tx, input.batchId);
    await tx.execute(sql`
      update payout_batches set status = ${status}, submitted_by = ${caller.actor.userId}, submitted_at = now(), updated_at = now()
      where id = ${input.batchId}`);
    const marked = await tx.execute<ClaimedPayout>(sql`
      update payouts set status = 'submitting', attempts = attempts + 1, last_attempt_at = now(), updated_at = now()
      where batch_id = ${input.batchId} and status = 'pending'
      returning ${claimedColumns('payouts')}`);
    await recordActivity(tx, caller.actor, [
      {
        action: 'payout_batch.submit',
        entityType: 'payout_batch',
        entityId: input.batchId,
        before: { status: batch.status },
        after: { status, payouts: marked.rows.length, releasedEntries: refreshed.releasedEntries },
      },
      ...refreshed.audit,
      ...marked.rows.map((payout) => ({
        action: 'payout.submit',
        entityType: 'payout',
        entityId: payout.id,
        before: { status: 'pending' },
        after: { status: 'submitting', attempt: payout.attempt, amount: payout.amount },
      })),
    ]);
    await closeBatchWhenSettled(tx, caller.actor, { ...batch, status });
    return marked.rows;
  });
  await dispatchPayouts(db, processor, caller.actor, claimed, 'send', `Payout batch ${input.batchId}`);
  return getPayoutBatch(db, caller.ability, input.batchId);
}

/**
 * Between approval and submission the ledger and the partners may have changed. Items whose entry is no longer
 * approved (a refund reversed it) are released and the payout shrinks to what is left; a payout with nothing left,
 * or whose partner became unpayable (a hold, missing payout details or tax document), is cancelled and releases
 * its items. Entries approved since stay out: they go into the next batch.
 */
async function refreshPendingPayouts(tx: Executor, batchId: string) {
  const pending = sql`select id from payouts where batch_id = ${batchId} and status = 'pending'`;
  const released = await tx.execute(sql`
    update payout_items i set released_at = now(), release_reason = 'entry_no_longer_approved'
    from commissions c
    where i.payout_id in (${pending}) and i.released_at is null and c.id = i.commission_id and c.status <> 'approved'`);
  const changed = await tx.execute<{ id: string; previous: number; amount: number; cancelReason: string | null }>(sql`
    with remaining as (
      select p.id, p.amount as previous, coalesce(sum(i.amount) filter (where i.released_at is null), 0)::bigint as amount,
        ${partnerSkipReasons(sql`p.partner_id`)} as reasons
      from payouts p left join payout_items i on i.payout_id = p.id
      where p.batch_id = ${batchId} and p.status = 'pending'
      group by p.id
    ),
    verdict as (
      select id, previous, amount, case
        when amount <= 0 then 'nothing_left_to_pay'
        when cardinality(reasons) > 0 then 'not_payable: ' || array_to_string(reasons, ', ')
      end as cancel_reason
      from remaining
    )
    update payouts p set
      amount = case when v.cancel_reason is null then v.amount else p.amount end,
      status = case when v.cancel_reason is null then p.status else 'cancelled' end,
      cancelled_at = case when v.cancel_reason is null then null else now() end,
      cancel_reason = v.cancel_reason,
      updated_at = now()
    from verdict v
    where v.id = p.id and (v.amount <> p.amount or v.cancel_reason is not null)
    returning p.id, v.previous, v.amount, v.cancel_reason as "cancelReason"`);
  const cancelled = changed.rows.filter((row) => row.cancelReason !== null).map((row) => row.id);
  if (cancelled.length > 0) {
    await releaseItems(tx, sql`select unnest(${sql.param(cancelled)}::uuid[])`, 'payout_cancelled');
  }
  const audit: ActivityEntry[] = changed.rows.map((row) => ({
    action: row.cancelReason ? 'payout.cancel' : 'payout.resize',
    entityType: 'payout',
    entityId: row.id,
    before: { status: 'pending', amount: row.previous },
    after: row.cancelReason ? { status: 'cancelled', reason: row.cancelReason } : { status: 'pending', amount: row.amount },
  }));
  return { releasedEntries: released.rowCount ?? 0, audit };
}
