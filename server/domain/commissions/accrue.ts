import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { intRule } from '../referrals/program-rules-sql.js';
import { ledgerEntryReturning, type LedgerEntry } from './events.js';

/**
 * Ledger entries for newly attributed sales, in one statement, at the configuration version in force at each sale's
 * time. The EARNING partner's tier decides every rate: its `value` pays the seller (level 0) and its `overrides`
 * pay the upline at each configured level (partner_tree gives the ancestor at that depth). A partner without a tier
 * earns at the program's first tier. Amounts round half away from zero to whole minor units, per entry.
 *
 * Not earned, recorded as a zero-amount `forfeited` entry with the reason and the forgone amount: an override for
 * an upline that is not active, or that missed rules.uplineQualification (fewer than minOwnSales of its own
 * attributed sales in the periodDays before the sale); an earning whose tier the version does not define.
 * Entries start pending until rules.holdDays after the sale.
 *
 * As CTEs for one statement: reads a CTE `sale` (attributed sales: id, partner_id, program_id, program_version,
 * amount, currency, occurred_at, the configuration of that version as `cfg` and the seller's `partner_tier`) and
 * ends in `ledger`, the insert returning the entries written.
 */
export function accrualCtes(actor: Actor): SQL {
  return sql`
    tiered as (
      select s.*, t.tier
      from sale s
      left join lateral (
        select x as tier from jsonb_array_elements(s.cfg -> 'commissionTiers') with ordinality as t(x, n)
        where x ->> 'name' = s.partner_tier or (s.partner_tier is null and n = 1)
        order by n limit 1
      ) t on true
    ),
    lines as (
      select s.id as event_id, s.partner_id, 0 as level, 'earning' as kind,
        s.tier ->> 'rateType' as rate_type, (s.tier ->> 'value')::int as rate_value
      from tiered s
      union all
      select s.id, t.ancestor_id, (o ->> 'level')::int, 'override', o ->> 'rateType', (o ->> 'value')::int
      from tiered s
      cross join lateral jsonb_array_elements(s.tier -> 'overrides') o
      join partner_tree t on t.descendant_id = s.partner_id and t.depth = (o ->> 'level')::int
    ),
    priced as (
      select l.*, s.currency, s.program_id, s.program_version, s.tier ->> 'name' as tier_name,
        s.occurred_at + make_interval(days => ${intRule(sql`s.cfg`, 'holdDays')}) as hold_until,
        case l.rate_type
          when 'percentage' then round(s.amount::numeric * l.rate_value / 10000)::bigint
          when 'flat' then l.rate_value::bigint
        end as computed,
        case
          when s.tier is null then format('tier_not_configured: tier %s is not in version %s', s.partner_tier, s.program_version)
          when l.level > 0 and up.status <> 'active' then format('upline_not_active: the upline partner is %s', up.status)
          when l.level > 0 and q.rule is not null and own.sales < (q.rule ->> 'minOwnSales')::int then format(
            'upline_not_qualified: %s own sales in the %s days before the sale, %s required',
            own.sales, q.rule ->> 'periodDays', q.rule ->> 'minOwnSales')
        end as forfeit_reason
      from lines l
      join tiered s on s.id = l.event_id
      join partners up on up.id = l.partner_id
      cross join lateral (select nullif(s.cfg #> '{rules,uplineQualification}', 'null'::jsonb) as rule) q
      cross join lateral (
        select count(*) as sales from referral_events o
        where l.level > 0 and q.rule is not null
          and o.partner_id = l.partner_id and o.kind = 'sale' and o.attribution_status = 'attributed'
          and o.occurred_at >= s.occurred_at - make_interval(days => (q.rule ->> 'periodDays')::int)
          and o.occurred_at < s.occurred_at
      ) own
    ),
    ledger as (
      insert into commissions (
        partner_id, kind, status, level, amount, currency, event_id, program_id, program_version, tier, rate_type,
        rate_value, forgone_amount, reason, hold_until, created_by)
      select partner_id, kind, case when forfeit_reason is null then 'pending' else 'forfeited' end, level,
        case when forfeit_reason is null then computed else 0 end, currency, event_id, program_id, program_version,
        tier_name, rate_type, rate_value, case when forfeit_reason is not null then computed end, forfeit_reason,
        case when forfeit_reason is null then hold_until end, ${actor.userId}
      from priced
      where computed is null or computed > 0
      order by event_id, level
      on conflict (event_id, level) where kind in ('earning', 'override') do nothing
      ${ledgerEntryReturning}
    )`;
}

/** The `sale` CTE of `accrualCtes` for the given events: those that are attributed sales. */
function salesById(saleIds: number[]): SQL {
  return sql`
    select e.id, e.partner_id, e.program_id, e.program_version, e.amount, e.currency, e.occurred_at,
      v.configuration as cfg, p.tier as partner_tier
    from referral_events e
    join program_versions v on v.program_id = e.program_id and v.version = e.program_version
    join partners p on p.id = e.partner_id
    where e.id = any(${sql.param(saleIds)}::bigint[]) and e.kind = 'sale' and e.attribution_status = 'attributed'`;
}

/** Accrues the commissions of the given sales (see `accrualCtes`); returns the entries written. */
export async function accrueCommissions(tx: Executor, actor: Actor, saleIds: number[]): Promise<LedgerEntry[]> {
  if (saleIds.length === 0) return [];
  const result = await tx.execute<LedgerEntry>(sql`with sale as (${salesById(saleIds)}), ${accrualCtes(actor)} select * from ledger`);
  return result.rows;
}
