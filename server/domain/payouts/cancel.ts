import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { PayoutStatus } from '../../../db/schema/payouts.js';
import type { Actor } from '../../context.js';
import { notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { closeBatchWhenSettled } from './batch-status.js';
import { lockBatch, releaseItems, type LockedBatch } from './locks.js';
import { getPayoutBatch } from './read.js';
import type { CancelInput } from './schemas.js';
import { nextBatchStatus, nextPayoutStatus } from './status-machine.js';
import type { PayoutCaller } from './caller.js';

/**
 * Cancels a batch not yet submitted (draft or approved) with all its payouts, or one payout that was never sent
 * (pending) or that the processor refused (failed). Either way the ledger entries the payouts reserved are
 * released, so the next batch can pay them. Anything else is CONFLICT naming the status.
 */
export async function cancelPayouts(db: Database, caller: PayoutCaller, input: CancelInput) {
  const batchId = await db.transaction(async (tx) => {
    if (input.batchId) {
      await cancelBatch(tx, caller.actor, await lockBatch(tx, input.batchId), input.reason);
      return input.batchId;
    }
    const payoutId = input.payoutId!;
    const owner = await tx.execute<{ batchId: string }>(sql`select batch_id as "batchId" from payouts where id = ${payoutId}`);
    if (!owner.rows[0]) throw notFound('Payout', payoutId);
    const batch = await lockBatch(tx, owner.rows[0].batchId);
    await cancelPayout(tx, caller.actor, batch, payoutId, input.reason);
    return batch.id;
  });
  return getPayoutBatch(db, caller.ability, batchId);
}

async function cancelBatch(tx: Executor, actor: Actor, batch: LockedBatch, reason: string): Promise<void> {
  const status = nextBatchStatus(batch.status, 'cancel');
  await tx.execute(sql`
    update payout_batches set status = ${status}, cancelled_by = ${actor.userId}, cancelled_at = now(), cancel_reason = ${reason},
      updated_at = now()
    where id = ${batch.id}`);
  const cancelled = await tx.execute<{ id: string }>(sql`
    update payouts set status = 'cancelled', cancelled_at = now(), cancel_reason = 'batch_cancelled', updated_at = now()
    where batch_id = ${batch.id} and status = 'pending'
    returning id`);
  const released = await releaseItems(tx, sql`select id from payouts where batch_id = ${batch.id} and status = 'cancelled'`, 'batch_cancelled');
  await recordActivity(tx, actor, [
    {
      action: 'payout_batch.cancel',
      entityType: 'payout_batch',
      entityId: batch.id,
      before: { status: batch.status },
      after: { status, reason, payouts: cancelled.rows.length, releasedEntries: released },
    },
    ...cancelled.rows.map((payout) => ({
      action: 'payout.cancel',
      entityType: 'payout',
      entityId: payout.id,
      before: { status: 'pending' },
      after: { status: 'cancelled', reason: 'batch_cancelled' },
    })),
  ]);
}

async function cancelPayout(tx: Executor, actor: Actor, batch: LockedBatch, payoutId: string, reason: string): Promise<void> {
  const current = await tx.execute<{ status: PayoutStatus }>(sql`select status from payouts where id = ${payoutId} for update`);
  const before = current.rows[0]!.status;
  const status = nextPayoutStatus(before, 'cancel');
  await tx.execute(sql`
    update payouts set status = ${status}, cancelled_at = now(), cancel_reason = ${reason}, updated_at = now() where id = ${payoutId}`);
  const released = await releaseItems(tx, sql`select ${payoutId}::uuid`, 'payout_cancelled');
  await recordActivity(tx, actor, {
    action: 'payout.cancel',
    entityType: 'payout',
    entityId: payoutId,
    before: { status: before },
    after: { status, reason, releasedEntries: released },
  });
  if (batch.status === 'submitted') return closeBatchWhenSettled(tx, actor, batch);
  const live = await tx.execute(sql`select 1 from payouts where batch_id = ${batch.id} and status <> 'cancelled' limit 1`);
  if (live.rows.length === 0) await cancelBatch(tx, actor, batch, 'every payout was cancelled');
}
