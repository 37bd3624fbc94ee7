import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { PayoutBatchStatus } from '../../../db/schema/payouts.js';
import { notFound } from '../../errors.js';

export type LockedBatch = {
  id: string;
  status: PayoutBatchStatus;
  createdBy: string;
};

/**
 * Every payouts mutation locks the batch row first and its payouts after, so concurrent submits, retries, cancels
 * and outcome recordings of one batch take turns and never deadlock.
 */
export async function lockBatch(tx: Executor, batchId: string): Promise<LockedBatch> {
  const result = await tx.execute<LockedBatch>(sql`
    select id, status, created_by as "createdBy" from payout_batches where id = ${batchId} for update`);
  const batch = result.rows[0];
  if (!batch) throw notFound('Payout batch', batchId);
  return batch;
}

/** Ends the reservation of the items of the given payouts (a subquery of payout ids), so other batches may take them. */
export async function releaseItems(tx: Executor, payoutIds: SQL, reason: string): Promise<number> {
  const released = await tx.execute(sql`
    update payout_items set released_at = now(), release_reason = ${reason}
    where payout_id in (${payoutIds}) and released_at is null`);
  return released.rowCount ?? 0;
}
