import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { settleApprovedCommissions } from '../commissions/settle.js';

export interface PayoutToSettle {
  id: string;
  partnerId: string;
  currency: string;
  /** What the processor paid, in minor units. */
  amount: number;
}

/**
 * The ledger side of a paid payout. The reserved entries that are still approved are settled (marked paid, with
 * the payout entry). An entry can leave `approved` while its payment is in flight (a refund reverses it fully):
 * the processor paid it all the same, so the difference is written as an approved adjustment — negative when the
 * partner got more than their entries are now worth, netted off by the next payouts — and the partner's balance
 * falls by exactly what the processor paid. Reserved entries that were not settled are released.
 */
export async function settlePayout(tx: Executor, actor: Actor, payout: PayoutToSettle) {
  const reserved = await tx.execute<{ commission_id: number }>(sql`
    select commission_id from payout_items where payout_id = ${payout.id} and released_at is null`);
  const settlement = await settleApprovedCommissions(tx, actor, {
    partnerId: payout.partnerId,
    currency: payout.currency,
    payoutId: payout.id,
    entryIds: reserved.rows.map((row) => row.commission_id),
  });
  const adjustment = settlement.amount - payout.amount;
  if (adjustment !== 0) {
    await tx.execute(sql`
      insert into commissions (partner_id, kind, status, amount, currency, reason, created_by, status_changed_at)
      values (${payout.partnerId}, 'adjustment', 'approved', ${adjustment}, ${payout.currency},
        ${`payout_reconciliation: payout ${payout.id} paid ${payout.amount}; its entries still approved came to ${settlement.amount}`},
        ${actor.userId}, now())`);
  }
  await tx.execute(sql`
    update payout_items set released_at = now(), release_reason = 'not_settled'
    where payout_id = ${payout.id} and released_at is null
      and commission_id <> all(${sql.param(settlement.entryIds)}::bigint[])`);
  return { settledEntries: settlement.entryIds.length, adjustment };
}
