import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import { commissionWebhookEvents } from '../commissions/events.js';
import { reverseForRefunds } from '../commissions/reverse.js';
import { fraudWebhookEvents, openFraudFlags } from '../fraud/detect.js';
import { inExclusiveTransaction } from '../partner-jobs/exclusive.js';
import { arrayLiteral } from '../shared/array-literal.js';
import { retryOnDeadlock } from '../shared/deadlock-retry.js';
import { emitEvents } from '../webhooks/events.js';
import { applyBatchEffects } from './batch-effects.js';

/** How many queued events one applying transaction takes at most (whole ingesting calls, at least one). */
export const EFFECTS_PER_TRANSACTION = 10_000;

export type AppliedEffects = {
  events: number;
  commissionEntries: number;
  fraudFlags: number;
};

/** Queues the effects of the attributed events an ingesting transaction stored: one row, in that transaction. */
export async function queueEffects(tx: Executor, actor: Actor, attributedIds: number[]): Promise<void> {
  if (attributedIds.length === 0) return;
  await tx.execute(sql`
    insert into referral_effects_queue (event_ids, actor_id, request_id)
    values (${arrayLiteral(attributedIds)}::bigint[], ${actor.userId}, ${actor.requestId})`);
}

type QueuedRow = { id: number; event_ids: number[]; actor_id: string; request_id: string | null };

/**
 * Applies queued effects oldest first until the queue is empty: in each transaction, the ledger entries of the
 * sales, the reversals of the refunds, the fraud rules and their flags and holds, the analytics rollups, the
 * webhooks and one audit row. One applier at a time (an advisory lock), so that a refund is reversed only once its
 * sale's commissions are committed and two appliers never add the same event to the rollups.
 */
export async function applyQueuedEffects(db: Database, perTransaction = EFFECTS_PER_TRANSACTION): Promise<AppliedEffects> {
  const total: AppliedEffects = { events: 0, commissionEntries: 0, fraudFlags: 0 };
  for (;;) {
    const applied = await retryOnDeadlock(() => inExclusiveTransaction(db, 'referrals.effects', (tx) => applyOldest(tx, perTransaction)));
    if (!applied) return total;
    total.events += applied.events;
    total.commissionEntries += applied.commissionEntries;
    total.fraudFlags += applied.fraudFlags;
  }
}

async function applyOldest(tx: Executor, perTransaction: number): Promise<AppliedEffects | null> {
  // The oldest call, and the calls of the same actor right after it that fit whole within the limit.
  const { rows } = await tx.execute<QueuedRow>(sql`
    with head as (select actor_id from referral_effects_queue order by id limit 1),
    run as (
      select q.id, cardinality(q.event_ids) as events,
        sum(cardinality(q.event_ids)) over (order by q.id) - cardinality(q.event_ids) as before,
        bool_and(q.actor_id = h.actor_id) over (order by q.id) as same_actor
      from referral_effects_queue q cross join head h
    )
    delete from referral_effects_queue q using run r
    where q.id = r.id and r.same_actor and (r.before = 0 or r.before + r.events <= ${perTransaction})
    returning q.id, to_jsonb(q.event_ids) as event_ids, q.actor_id, q.request_id`);
  if (rows.length === 0) return null;
  rows.sort((a, b) => a.id - b.id);

  const first = rows[0]!;
  const actor: Actor = { userId: first.actor_id, roles: [], requestId: first.request_id };
  const eventIds = rows.flatMap((row) => row.event_ids).sort((a, b) => a - b);
  const { earnings, hits, refundIds } = await applyBatchEffects(tx, actor, eventIds);
  const reversals = await reverseForRefunds(tx, actor, refundIds);
  const flags = await openFraudFlags(tx, actor, hits);
  await emitEvents(tx, [...commissionWebhookEvents([...earnings, ...reversals]), ...fraudWebhookEvents(flags)]);
  const applied = { events: eventIds.length, commissionEntries: earnings.length + reversals.length, fraudFlags: flags.length };
  await recordActivity(tx, actor, {
    action: 'referrals.effects',
    entityType: 'referral_batch',
    entityId: first.request_id ?? eventIds[0]!,
    after: { ...applied, calls: rows.length, firstEventId: eventIds[0]!, lastEventId: eventIds.at(-1)! },
  });
  return applied;
}
