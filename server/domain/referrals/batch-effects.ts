import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { attributedRowsOf, rollupUpserts } from '../analytics/rollups.js';
import { accrualCtes } from '../commissions/accrue.js';
import type { LedgerEntry } from '../commissions/events.js';
import { fraudRuleHits, type FraudHit } from '../fraud/detect.js';

export type BatchEffects = {
  /** The commission entries accrued for the batch's sales, in the order they were written. */
  earnings: LedgerEntry[];
  /** The fraud rules' hits over the batch, for `openFraudFlags`. */
  hits: FraudHit[];
  /** The batch's refunds, in id order, for `reverseForRefunds`. */
  refundIds: number[];
};

/**
 * What stored events set off, in one statement over them, read once by primary key: folds them into the analytics
 * rollups, accrues the commissions of their sales, and runs the fraud rules. `attributedIds` are attributed events
 * taken off the effects queue in this transaction (the upserts add, so each must come exactly once); refunds are
 * stored before, so that the refund-rate rule sees them, and reversed after, once their sales' commissions exist.
 */
export async function applyBatchEffects(tx: Executor, actor: Actor, attributedIds: number[]): Promise<BatchEffects> {
  if (attributedIds.length === 0) return { earnings: [], hits: [], refundIds: [] };
  const result = await tx.execute<BatchEffects>(sql`
    with batch as materialized (
      select e.id, e.kind, e.partner_id, e.program_id, e.program_version, e.account_id, e.amount, e.currency,
        e.occurred_at, e.ip, e.attributed_click_id, e.refund_of_id, v.configuration as cfg
      from referral_events e
      join program_versions v on v.program_id = e.program_id and v.version = e.program_version
      -- The range keeps the plan on the primary key whatever the table's statistics say.
      where e.id between ${Math.min(...attributedIds)} and ${Math.max(...attributedIds)}
        and e.id = any(${sql.param(attributedIds)}::bigint[])
    ),
    folded as (${attributedRowsOf(sql`batch`)}),
    ${rollupUpserts},
    sale as (
      select b.id, b.partner_id, b.program_id, b.program_version, b.amount, b.currency, b.occurred_at, b.cfg,
        p.tier as partner_tier
      from batch b join partners p on p.id = b.partner_id
      where b.kind = 'sale'
    ),
    ${accrualCtes(actor)},
    hits as (${fraudRuleHits})
    select
      (select coalesce(jsonb_agg(to_jsonb(l) order by l.id), '[]') from ledger l) as earnings,
      (select coalesce(jsonb_agg(to_jsonb(h)), '[]') from hits h) as hits,
      (select coalesce(jsonb_agg(b.id order by b.id), '[]') from batch b where b.kind = 'refund') as "refundIds"`);
  return result.rows[0]!;
}
