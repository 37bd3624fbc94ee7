import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { ledgerEntryReturning, type LedgerEntry } from './events.js';

/** Earnings and overrides that can still be clawed back: not forfeited, not already fully reversed. */
const reversibleCredit = sql`kind in ('earning', 'override') and status in ('pending', 'approved', 'paid') and amount > 0`;

/**
 * The status a reversal takes: it moves with an unpaid entry (pending or approved, same hold), and is an approved
 * debit when the entry was paid already — the negative balance the next payout nets off.
 */
const reversalStatus = (credit: string) => sql.raw(`case ${credit}.status when 'paid' then 'approved' else ${credit}.status end`);
const reversalHold = (credit: string) => sql.raw(`case ${credit}.status when 'pending' then ${credit}.hold_until end`);

async function lockCredits(tx: Executor, saleIds: SQL): Promise<void> {
  await tx.execute(sql`
    select id from commissions where event_id = any(${saleIds}) and kind in ('earning', 'override') order by id for update`);
}

/**
 * Claws back the commissions of refunded sales, proportionally and never beyond what was earned: after refunds
 * totalling R of a sale of amount A, the reversals of an entry of amount a total round(a × R / A) (half away from
 * zero), so each refund's reversal is round(a × R_after / A) − round(a × R_before / A), refunds ordered by id.
 * A refund of the whole sale therefore reverses exactly a. Returns the entries written.
 */
export async function reverseForRefunds(tx: Executor, actor: Actor, refundIds: number[]): Promise<LedgerEntry[]> {
  if (refundIds.length === 0) return [];
  const refunds = sql`${sql.param(refundIds)}::bigint[]`;
  const sales = sql`array(select distinct refund_of_id from referral_events where id = any(${refunds}))`;
  await lockCredits(tx, sales);
  const inserted = await tx.execute<LedgerEntry>(sql`
    with refund as (
      select id, refund_of_id as sale_id from referral_events
      where id = any(${refunds}) and kind = 'refund' and attribution_status = 'attributed'
    ),
    progress as (
      select r.id, r.refund_of_id as sale_id, s.amount as sale_amount,
        sum(r.amount) over (partition by r.refund_of_id order by r.id) as refunded_after,
        sum(r.amount) over (partition by r.refund_of_id order by r.id) - r.amount as refunded_before
      from referral_events r join referral_events s on s.id = r.refund_of_id
      where r.kind = 'refund' and r.refund_of_id in (select sale_id from refund)
    ),
    lines as (
      select c.*, p.id as refund_id,
        round(c.amount::numeric * p.refunded_after / p.sale_amount)::bigint
          - round(c.amount::numeric * p.refunded_before / p.sale_amount)::bigint as clawback
      from commissions c
      join progress p on p.sale_id = c.event_id
      where p.id in (select id from refund) and ${reversibleCredit}
    )
    insert into commissions (
      partner_id, kind, status, level, amount, currency, event_id, refund_event_id, reverses_id, program_id,
      program_version, tier, reason, hold_until, created_by)
    select partner_id, 'reversal', ${reversalStatus('lines')}, level, -clawback, currency, event_id, refund_id, id,
      program_id, program_version, tier, 'refund', ${reversalHold('lines')}, ${actor.userId}
    from lines where clawback > 0
    order by refund_id, id
    on conflict (refund_event_id, reverses_id) where refund_event_id is not null do nothing
    ${ledgerEntryReturning}`);
  await closeFullyReversed(tx, sql`select id from commissions where event_id = any(${sales}) and kind in ('earning', 'override')`);
  return inserted.rows;
}

/** Reverses in full what is left of the given pending entries (the commissions a confirmed fraud flag held). */
export async function reverseRemaining(
  tx: Executor,
  actor: Actor,
  creditIds: SQL,
  cause: { fraudFlagId: string; reason: string },
): Promise<LedgerEntry[]> {
  await tx.execute(sql`select id from commissions where id in (${creditIds}) order by id for update`);
  const inserted = await tx.execute<LedgerEntry>(sql`
    with lines as (
      select c.*, c.amount + coalesce((select sum(r.amount) from commissions r where r.reverses_id = c.id), 0)::bigint as remaining
      from commissions c
      where c.id in (${creditIds}) and c.kind in ('earning', 'override') and c.status = 'pending' and c.amount > 0
    )
    insert into commissions (
      partner_id, kind, status, level, amount, currency, event_id, fraud_flag_id, reverses_id, program_id,
      program_version, tier, reason, hold_until, created_by)
    select partner_id, 'reversal', ${reversalStatus('lines')}, level, -remaining, currency, event_id,
      ${cause.fraudFlagId}::uuid, id, program_id, program_version, tier, ${cause.reason}, ${reversalHold('lines')}, ${actor.userId}
    from lines where remaining > 0
    order by id
    ${ledgerEntryReturning}`);
  await closeFullyReversed(tx, creditIds);
  return inserted.rows;
}

/**
 * An unpaid entry whose reversals cancel it completely leaves the money flow: it and its reversals become
 * `reversed` (the pair still sums to zero, so no balance moves).
 */
async function closeFullyReversed(tx: Executor, creditIds: SQL): Promise<void> {
  await tx.execute(sql`
    with cancelled as (
      select c.id from commissions c join commissions r on r.reverses_id = c.id
      where c.id in (${creditIds}) and c.status in ('pending', 'approved')
      group by c.id, c.amount
      having c.amount + sum(r.amount) = 0
    )
    update commissions set status = 'reversed', status_changed_at = now()
    where (id in (select id from cancelled) or reverses_id in (select id from cancelled))
      and status in ('pending', 'approved')`);
}
