import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { lockBatch } from './locks.js';
import { getPayoutBatch } from './read.js';
import type { BatchRef } from './schemas.js';
import { nextBatchStatus } from './status-machine.js';
import type { PayoutCaller } from './caller.js';

/** Four eyes: a draft batch is approved by an Affiliate Admin other than the one who created it. */
export async function approvePayoutBatch(db: Database, caller: PayoutCaller, input: BatchRef) {
  await db.transaction(async (tx) => {
    const batch = await lockBatch(tx, input.batchId);
    const status = nextBatchStatus(batch.status, 'approve');
    if (batch.createdBy === caller.actor.userId) {
      throw new AppError(
        'FORBIDDEN',
        'Forbidden: you created this payout batch, so another Affiliate Admin must approve it (four-eyes rule)',
        { rule: 'four_eyes', createdBy: batch.createdBy },
      );
    }
    await tx.execute(sql`
      update payout_batches set status = ${status}, approved_by = ${caller.actor.userId}, approved_at = now(), updated_at = now()
      where id = ${input.batchId}`);
    await recordActivity(tx, caller.actor, {
      action: 'payout_batch.approve',
      entityType: 'payout_batch',
      entityId: input.batchId,
      before: { status: batch.status },
      after: { status, approvedBy: caller.actor.userId },
    });
  });
  return getPayoutBatch(db, caller.ability, input.batchId);
}
