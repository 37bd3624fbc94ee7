import { createMongoAbility, type MongoQuery } from '@casl/ability';
import { eq, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { fraudFlags } from '../../../db/schema/fraud.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { commissionWebhookEvents, reversedTotals, type LedgerEntry } from '../commissions/events.js';
import { reverseRemaining } from '../commissions/reverse.js';
import { suspendPartner } from '../partners/lifecycle.js';
import { emitEvents } from '../webhooks/events.js';
import { fraudFlagColumns } from './list.js';
import type { ReviewFraudFlagInput } from './schemas.js';

/**
 * Confirming a fraud flag may suspend its partner for fraud: the right to review the flag carries that right
 * (and nothing else), whatever the reviewer's role may do to partners otherwise.
 */
const fraudSuspension: AppAbility = createMongoAbility([
  { action: 'read', subject: 'Partner' },
  { action: 'suspend', subject: 'Partner', conditions: { suspensionReason: 'fraud' } as MongoQuery<never> },
]);

/** The entries a flag holds (see held.ts) that are still pending. */
function heldEntries(flagId: string, partnerId: string) {
  return sql`
    select c.id from commissions c
    where c.status = 'pending' and c.kind in ('earning', 'override')
      and (c.partner_id = ${partnerId}
        or c.event_id in (select fe.event_id from fraud_flag_events fe where fe.flag_id = ${flagId}::uuid))`;
}

async function suspendIfActive(tx: Executor, actor: Actor, partnerId: string, note: string): Promise<boolean> {
  const partner = await tx.execute<{ status: string }>(sql`select status from partners where id = ${partnerId} for update`);
  if (partner.rows[0]?.status !== 'active') return false;
  await suspendPartner(tx, { actor, ability: fraudSuspension }, { partnerId, reasonCode: 'fraud', note });
  return true;
}

/**
 * Closes an open flag. confirm: reverses in full every pending commission the flag held (the partner's, and all
 * levels of the flagged events), keeps the fraud hold (a person releases it), and with suspendPartner suspends an
 * active partner for fraud. dismiss: releases the flag's hold, so its commissions are approved as usual.
 * A flag already reviewed → CONFLICT.
 */
export async function reviewFraudFlag(db: Database, actor: Actor, input: ReviewFraudFlagInput) {
  return db.transaction(async (tx) => {
    const [flag] = await tx
      .select({ id: fraudFlags.id, partnerId: fraudFlags.partnerId, status: fraudFlags.status, rule: fraudFlags.rule })
      .from(fraudFlags)
      .where(eq(fraudFlags.id, input.flagId))
      .for('update');
    if (!flag) throw notFound('Fraud flag', input.flagId);
    const status = input.decision === 'confirm' ? 'confirmed' : 'dismissed';
    if (flag.status !== 'open') throw illegalTransition(`Fraud flag ${flag.id}`, flag.status, status);

    let reversals: LedgerEntry[] = [];
    let partnerSuspended = false;
    if (input.decision === 'confirm') {
      reversals = await reverseRemaining(tx, actor, heldEntries(flag.id, flag.partnerId), {
        fraudFlagId: flag.id,
        reason: 'fraud_confirmed',
      });
      await emitEvents(tx, commissionWebhookEvents(reversals));
      if (input.suspendPartner) partnerSuspended = await suspendIfActive(tx, actor, flag.partnerId, input.note);
    } else {
      await tx.execute(sql`
        update partner_holds set released_at = now(), released_by = ${actor.userId}
        where partner_id = ${flag.partnerId} and kind = 'fraud' and source = ${`fraud_flag:${flag.id}`} and released_at is null`);
    }
    const [reviewed] = await tx
      .update(fraudFlags)
      .set({ status, reviewedBy: actor.userId, reviewedAt: sql`now()`, reviewNote: input.note })
      .where(eq(fraudFlags.id, flag.id))
      .returning({ id: fraudFlags.id });
    const reversed = reversedTotals(reversals);
    await recordActivity(tx, actor, {
      action: `fraud_flag.${input.decision}`,
      entityType: 'fraud_flag',
      entityId: flag.id,
      before: { status: 'open' },
      after: { status, note: input.note, reversedEntries: reversals.length, reversed, partnerSuspended },
    });
    const [view] = await tx.select(fraudFlagColumns).from(fraudFlags).where(eq(fraudFlags.id, reviewed!.id));
    return { flag: view!, reversedEntries: reversals.length, reversed, partnerSuspended };
  });
}
