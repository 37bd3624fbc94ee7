import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import type { LockedBatch } from './locks.js';
import { FINAL_PAYOUT_STATUSES, nextBatchStatus } from './status-machine.js';

/**
 * A submitted batch ends once every payout is paid or cancelled: completed, or cancelled when none was paid.
 * Call with the batch locked, after its payouts moved.
 */
export async function closeBatchWhenSettled(tx: Executor, actor: Actor, batch: LockedBatch): Promise<void> {
  if (batch.status !== 'submitted') return;
  const counts = await tx.execute<{ open: number; paid: number }>(sql`
    select count(*) filter (where status <> all(${sql.param(FINAL_PAYOUT_STATUSES)}::text[]))::int as open,
      count(*) filter (where status = 'paid')::int as paid
    from payouts where batch_id = ${batch.id}`);
  const { open, paid } = counts.rows[0]!;
  if (open > 0) return;
  const status = nextBatchStatus(batch.status, paid > 0 ? 'complete' : 'abandon');
  const ended = status === 'completed' ? sql`completed_at = now()` : sql`cancelled_at = now(), cancel_reason = 'every payout was cancelled'`;
  await tx.execute(sql`update payout_batches set status = ${status}, updated_at = now(), ${ended} where id = ${batch.id}`);
  await recordActivity(tx, actor, {
    action: `payout_batch.${status === 'completed' ? 'complete' : 'cancel'}`,
    entityType: 'payout_batch',
    entityId: batch.id,
    before: { status: batch.status },
    after: { status, paidPayouts: paid },
  });
}
