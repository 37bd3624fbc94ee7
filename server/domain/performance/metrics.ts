import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { PerformanceMetric } from '../programs/configuration.js';
import { instant } from '../partner-jobs/exclusive.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';

/** A partner's metrics over one period; null for a rate without a denominator (no clicks, no sales) or a metric not measured. */
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
  /** The metrics the thresholds use: only their events are read (clicks only for rates and active days). */
  metrics: PerformanceMetric[];
}

/** What a program's thresholds measure: the tiers that have thresholds, over their periods, by their metrics. */
export function metricsScopeOf(program: ProgramInForce): MetricsScope {
  const thresholds = program.configuration.performanceThresholds;
  return {
    programId: program.id,
    currency: program.currency,
    tiers: [...new Set(thresholds.map((threshold) => threshold.tier))],
    periods: [...new Set(thresholds.map((threshold) => threshold.periodDays))],
    metrics: [...new Set(thresholds.map((threshold) => threshold.metric))],
  };
}

/**
 * One statement measuring every active partner of the program in `tiers` over each period ending at `now`, from
 * the attributed referral events: conversions (sales), revenue (sales in the program currency, minor units),
 * conversion rate (sales per click, basis points), refund rate (refunded share of the period's sales amount, basis
 * points, the fraud rule's definition) and active days (UTC days with a click, lead or sale). Rates are rounded
 * down and capped at 100%; a rate without a denominator is null, and so is a metric not asked for. One row per
 * partner, columns `<metric>_<days>`. The window's events are read once and folded per partner (per partner and
 * day first when active days are asked for): hash aggregates, no sort of the window, no DISTINCT.
 */
export function partnerMetricsSql(scope: MetricsScope, now: Date): SQL {
  const wants = (metric: PerformanceMetric) => scope.metrics.includes(metric);
  const byDay = wants('active_days');
  const kinds = ['sale', ...(wants('conversion_rate') || byDay ? ['click'] : []), ...(byDay ? ['lead'] : [])];
  const at = instant(now);
  const since = (days: number) => sql`${at} - make_interval(days => ${days}::int)`;
  const widest = since(Math.max(...scope.periods));
  const each = (column: (days: number, n: SQL) => SQL) => sql.join(scope.periods.map((days) => column(days, sql.raw(String(days)))), sql`, `);
  const refunds = sql`
    union all
    select s.partner_id, 'refund', r.amount, r.currency, r.occurred_at, s.occurred_at
    from referral_events r
    join referral_events s on s.id = r.refund_of_id
    where r.kind = 'refund' and r.occurred_at > ${widest} and r.occurred_at <= ${at}
      and s.attribution_status = 'attributed' and s.occurred_at > ${widest}`;
  const sums = each(
    (days, n) => sql`
    count(*) filter (where kind = 'sale' and counted_at > ${since(days)}) as sales_${n},
    sum(amount) filter (where kind = 'sale' and currency = ${scope.currency} and counted_at > ${since(days)}) as revenue_${n},
    sum(amount) filter (where kind = 'refund' and currency = ${scope.currency} and counted_at > ${since(days)}) as refunded_${n},
    count(*) filter (where kind = 'click' and counted_at > ${since(days)}) as clicks_${n}`,
  );
  const totals = byDay
    ? sql`
      days as (
        select partner_id, ${sums}, ${each((days, n) => sql`bool_or(kind <> 'refund' and occurred_at > ${since(days)}) as active_${n}`)}
        from happened group by partner_id, (occurred_at at time zone 'UTC')::date
      ),
      totals as (
        select partner_id, ${each(
          (_, n) => sql`sum(sales_${n}) as sales_${n}, sum(revenue_${n}) as revenue_${n}, sum(refunded_${n}) as refunded_${n},
          sum(clicks_${n}) as clicks_${n}, count(*) filter (where active_${n}) as active_days_${n}`,
        )}
        from days group by partner_id
      )`
    : sql`totals as (select partner_id, ${sums} from happened group by partner_id)`;
  const column = (metric: PerformanceMetric, n: SQL, value: SQL) =>
    sql`${wants(metric) ? value : sql`null::int`} as ${sql.raw(metric)}_${n}`;
  const rate = (part: SQL, whole: SQL) => sql`(case when ${whole} > 0 then least(10000, floor(${part} * 10000 / ${whole})) end)::int`;
  return sql`
    with members as not materialized (
      select p.id, p.tier from partners p
      where p.program_id = ${scope.programId} and p.status = 'active' and p.erased_at is null
        and p.tier = any(${sql.param(scope.tiers)}::text[])
    ),
    happened as (
      select e.partner_id, e.kind, e.amount, e.currency, e.occurred_at, e.occurred_at as counted_at
      from referral_events e
      where e.attribution_status = 'attributed' and e.kind = any(${sql.param(kinds)}::text[])
        and e.occurred_at > ${widest} and e.occurred_at <= ${at} and e.partner_id in (select id from members)
      ${wants('refund_rate') ? refunds : sql``}
    ),
    ${totals}
    select m.id as partner_id, m.tier, ${each(
      (_, n) => sql`
      ${column('conversions', n, sql`coalesce(t.sales_${n}, 0)::int`)},
      ${column('revenue', n, sql`coalesce(t.revenue_${n}, 0)::bigint`)},
      ${column('conversion_rate', n, rate(sql`t.sales_${n}`, sql`t.clicks_${n}`))},
      ${column('refund_rate', n, rate(sql`coalesce(t.refunded_${n}, 0)`, sql`t.revenue_${n}`))},
      ${column('active_days', n, sql`coalesce(t.active_days_${n}, 0)::int`)}`,
    )}
    from members m left join totals t on t.partner_id = m.id`;
}

export type MetricRow = { partner_id: string; tier: string } & Record<string, number | null>;

export async function measurePartners(tx: Executor, scope: MetricsScope, now: Date): Promise<Map<string, MeasuredPartner>> {
  const result = await tx.execute<MetricRow>(partnerMetricsSql(scope, now));
  return measuredPartnersFrom(result.rows, scope.periods);
}

/** Rows of `partnerMetricsSql` as partner → tier and metrics per period. */
export function measuredPartnersFrom(rows: MetricRow[], periods: number[]): Map<string, MeasuredPartner> {
  const measured = new Map<string, MeasuredPartner>();
  for (const row of rows) {
    const byPeriod = new Map<number, MetricValues>();
    for (const days of periods) {
      byPeriod.set(days, {
        conversions: row[`conversions_${days}`] ?? null,
        revenue: row[`revenue_${days}`] ?? null,
        conversion_rate: row[`conversion_rate_${days}`] ?? null,
        refund_rate: row[`refund_rate_${days}`] ?? null,
        active_days: row[`active_days_${days}`] ?? null,
      });
    }
    measured.set(row.partner_id, { tier: row.tier, byPeriod });
  }
  return measured;
}
