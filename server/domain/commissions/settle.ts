import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';

export interface Settlement {
  /** What the payout pays: the net of the approved entries, 0 when they do not add up to a positive amount. */
  amount: number;
  /** The entries marked paid (none when amount is 0). */
  entryIds: number[];
}

/**
 * The ledger half of a payout, for the payouts area to call inside its own transaction: locks the partner's
 * approved entries in `currency`, and when they net to a positive amount marks them paid and writes the payout
 * entry (−amount) that brings the balance down by what leaves. A negative net (clawbacks of paid commissions
 * exceed new approvals) pays nothing and stays carried over, so the next payouts net it off.
 * `entryIds` limits the settlement to the entries the payout reserved (entries approved since wait for the next one).
 */
export async function settleApprovedCommissions(
  tx: Executor,
  actor: Actor,
  input: { partnerId: string; currency: string; payoutId: string; entryIds?: readonly number[] },
): Promise<Settlement> {
  const approved = await tx.execute<{ id: number; amount: number }>(sql`
    select id, amount from commissions
    where partner_id = ${input.partnerId} and currency = ${input.currency} and status = 'approved'
      ${input.entryIds ? sql`and id = any(${sql.param(input.entryIds)}::bigint[])` : sql``}
    order by id for update`);
  const amount = approved.rows.reduce((sum, row) => sum + row.amount, 0);
  if (amount <= 0) return { amount: 0, entryIds: [] };
  const entryIds = approved.rows.map((row) => row.id);
  await tx.execute(sql`
    update commissions set status = 'paid', status_changed_at = now(), payout_id = ${input.payoutId}::uuid
    where id = any(${sql.param(entryIds)}::bigint[])`);
  await tx.execute(sql`
    insert into commissions (partner_id, kind, status, amount, currency, payout_id, reason, created_by)
    values (${input.partnerId}, 'payout', 'paid', ${-amount}, ${input.currency}, ${input.payoutId}::uuid, 'payout', ${actor.userId})`);
  await recordActivity(tx, actor, {
    action: 'commissions.settle',
    entityType: 'partner',
    entityId: input.partnerId,
    after: { payoutId: input.payoutId, currency: input.currency, amount, entries: entryIds.length },
  });
  return { amount, entryIds };
}
