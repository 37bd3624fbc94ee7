import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { PerformanceMetric } from '../programs/configuration.js';
import { instant } from '../partner-jobs/exclusive.js';

/** A partner's measured metrics over one period; a rate is null when it has no denominator (no clicks, no sales). */
export type MetricValues = Record<PerformanceMetric, number | null>;

export interface MeasuredPartner {
  tier: string;
  /** periodDays → metrics over the last periodDays days. */
  byPeriod: Map<number, MetricValues>;
}

export interface MetricsScope {
  programId: string;
  currency: string;
  /** Only partners in these tiers are measured (the tiers that have thresholds). */
  tiers: string[];
  periods: number[];
}

/**
 * One statement measuring every active partner of the program in `tiers` over each period ending at `now`, from
 * the attributed referral events: conversions (sales), revenue (sales in the program currency, minor units),
 * conversion rate (sales per click, basis points), refund rate (refunded share of the period's sales amount, basis
 * points, the fraud rule's definition) and active days (UTC days with a click, lead or sale). Rates are rounded
 * down and capped at 100%. One row per partner and period.
 */
export function partnerMetricsSql(scope: MetricsScope, now: Date): SQL {
  const at = instant(now);
  const from = sql`${at} - make_interval(days => ${Math.max(...scope.periods)}::int)`;
  return sql`
    with members as materialized (
      select p.id, p.tier from partners p
      where p.program_id = ${scope.programId} and p.status = 'active' and p.erased_at is null
        and p.tier = any(${sql.param(scope.tiers)}::text[])
    ),
    periods as (select unnest(${sql.param(scope.periods)}::int[]) as days),
    happened as (
      select e.partner_id, e.kind, e.amount, e.currency, e.occurred_at, e.occurred_at as counted_at
      from referral_events e join members m on m.id = e.partner_id
      where e.attribution_status = 'attributed' and e.kind in ('click', 'lead', 'sale')
        and e.occurred_at > ${from} and e.occurred_at <= ${at}
      union all
      select s.partner_id, 'refund', r.amount, r.currency, r.occurred_at, s.occurred_at
      from referral_events r
      join referral_events s on s.id = r.refund_of_id
      join members m on m.id = s.partner_id
      where r.kind = 'refund' and r.occurred_at > ${from} and r.occurred_at <= ${at}
        and s.attribution_status = 'attributed' and s.occurred_at > ${from}
    ),
    totals as (
      select m.id as partner_id, m.tier, pd.days as period_days,
        count(h.kind) filter (where h.kind = 'sale') as sales,
        coalesce(sum(h.amount) filter (where h.kind = 'sale' and h.currency = ${scope.currency}), 0) as revenue,
        coalesce(sum(h.amount) filter (where h.kind = 'refund' and h.currency = ${scope.currency}), 0) as refunded,
        count(h.kind) filter (where h.kind = 'click') as clicks,
        count(distinct (h.occurred_at at time zone 'UTC')::date) filter (where h.kind <> 'refund') as active_days
      from members m
      cross join periods pd
      left join happened h on h.partner_id = m.id and h.counted_at > ${at} - make_interval(days => pd.days)
      group by m.id, m.tier, pd.days
    )
    select partner_id, tier, period_days, sales::int as conversions, revenue::bigint as revenue,
      case when clicks > 0 then least(10000, sales * 10000 / clicks) end::int as conversion_rate,
      case when revenue > 0 then least(10000, floor(refunded * 10000 / revenue)) end::int as refund_rate,
      active_days::int as active_days
    from totals`;
}

type MetricRow = { partner_id: string; tier: string; period_days: number } & MetricValues;

export async function measurePartners(tx: Executor, scope: MetricsScope, now: Date): Promise<Map<string, MeasuredPartner>> {
  const result = await tx.execute<MetricRow>(partnerMetricsSql(scope, now));
  const measured = new Map<string, MeasuredPartner>();
  for (const row of result.rows) {
    let partner = measured.get(row.partner_id);
    if (!partner) measured.set(row.partner_id, (partner = { tier: row.tier, byPeriod: new Map() }));
    partner.byPeriod.set(row.period_days, {
      conversions: row.conversions,
      revenue: row.revenue,
      conversion_rate: row.conversion_rate,
      refund_rate: row.refund_rate,
      active_days: row.active_days,
    });
  }
  return measured;
}
