import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../../db/client.js';
import type { AppAbility } from '../../../auth/abilities.js';
import { piiVisibleSql } from '../../partners/access.js';
import { rate, type Money, type Rate } from '../measures.js';
import type { DayRange } from '../range.js';
import { analyticsScope, type Selection } from '../scope.js';
import { dayStart, rangeRows, type AnalyticsSources } from '../sources.js';

export const PERFORMERS_SHOWN = 10;

/**
 * Revenue concentration in one currency: the share of the range's revenue earned by the top tenth (rounded up) of
 * the partners who earned any.
 */
export interface RevenueConcentration {
  currency: string;
  revenue: number;
  sellers: number;
  topPartners: number;
  topRevenue: number;
  share: Rate;
}

export interface Performer {
  partnerId: string;
  referralCode: string;
  /** Null unless the caller may read the partner's PII. */
  name: string | null;
  revenue: number;
  conversions: number;
  clicks: number;
}

/**
 * Per currency: the top performers by revenue over the range (revenue, then conversions, then id), and the bottom
 * ones among the selection's active partners whose program is in that currency (least revenue, then fewest
 * conversions and clicks, then id; partners without any activity included).
 */
export interface Performers {
  currency: string;
  top: Performer[];
  bottom: Performer[];
}

/**
 * Quality: fraud flags raised in the range against partners of the selection (`fraudFlagRate` = partners flagged
 * ÷ partners with a click, lead or sale in the range), and refunds (`refundRate` = refunds ÷ conversions by count;
 * amounts per currency).
 */
export interface Quality {
  flags: number;
  confirmedFlags: number;
  flaggedPartners: number;
  partnersWithActivity: number;
  fraudFlagRate: Rate;
  conversions: number;
  refunds: number;
  refundRate: Rate;
  revenue: Money[];
  refunded: Money[];
}

type CurrencyRow = {
  currency: string;
  sales: number;
  refunds: number;
  revenue: number;
  refunded: number;
  sellers: number;
  top_partners: number;
  top_revenue: number;
};
type PerformerRow = Performer & { side: 'top' | 'bottom'; currency: string };

/** How many of a program's active partners, in id order, the bottom performers' walk checks for idle ones. */
const IDLE_WALK = 4096;

/**
 * The `bottom` CTE: per currency, the selection's active partners (of programs in that currency) ranked by least
 * revenue, then fewest conversions and clicks, then id. Ranking joins every active partner with the range's rows;
 * but the partners without revenue, conversions or clicks all share the lowest key and so go by id. With
 * `walkIdle` (a whole program's kept window: one row per partner), the first IDLE_WALK active partners by id are
 * checked for such rows first: when ten are among them they are the bottom, since any other has a greater id. Only
 * otherwise is every active partner ranked.
 */
function bottomPerformers(selection: Selection, rows: SQL, walkIdle: boolean): SQL {
  const ranked = sql`
      select b.partner_id, c.currency, b.revenue, b.sales, b.clicks,
        row_number() over (partition by c.currency order by b.revenue, b.sales, b.clicks, b.partner_id) as position
      from (select distinct currency from programs) c
      cross join lateral (
        select partners.id as partner_id, coalesce(pp.revenue, 0)::bigint as revenue, coalesce(pp.sales, 0)::bigint as sales,
          coalesce(pp.clicks, 0)::bigint as clicks
        from partners
        join programs pr on pr.id = partners.program_id and pr.currency = c.currency
        left join per_partner pp on pp.partner_id = partners.id and pp.currency = c.currency
        where ${selection.partners} and partners.status = 'active'
        -- Only the lowest few are shown: a top-N sort, not a ranking of every active partner.
        order by 2, 3, 4, 1
        limit ${PERFORMERS_SHOWN}
      ) b`;
  if (!walkIdle) return sql`bottom as (${ranked})`;
  return sql`idle as materialized (
      select w.partner_id, pr.currency, 0::bigint as revenue, 0::bigint as sales, 0::bigint as clicks,
        row_number() over (order by w.partner_id) as position
      from programs pr
      cross join lateral (
        select walked.id as partner_id
        from (
          select partners.id from partners where partners.program_id = pr.id and partners.status = 'active'
          order by partners.id limit ${IDLE_WALK}
        ) walked
        where not exists (
          select 1 from ${rows} r
          where ${selection.rows('r')} and r.partner_id = walked.id and r.currency = pr.currency
            and (r.revenue > 0 or r.sales > 0 or r.clicks > 0)
        )
        order by walked.id
        limit ${PERFORMERS_SHOWN}
      ) w
      where pr.id = ${selection.programId}::uuid
    ),
    bottom as (
      select * from idle where (select count(*) from idle) = ${PERFORMERS_SHOWN}
      union all
      select * from (${ranked}) ranked where (select count(*) from idle) < ${PERFORMERS_SHOWN}
    )`;
}

export async function revenueHealth(
  db: Executor,
  ability: AppAbility,
  selection: Selection,
  sources: AnalyticsSources,
  range: DayRange,
): Promise<{ quality: Quality; concentration: RevenueConcentration[]; performers: Performers[] }> {
  const { rows, onePerKey } = await rangeRows(db, sources, range);
  // A kept window's rows of one program are one per partner and currency already: nothing to sum.
  const perPartner =
    onePerKey && selection.programId
      ? sql`select r.partner_id, r.currency, r.clicks, r.leads, r.sales, r.refunds, r.revenue, r.refunded
          from ${rows} r where ${selection.rows('r')}`
      : sql`select r.partner_id, r.currency, sum(r.clicks)::bigint as clicks, sum(r.leads)::bigint as leads,
          sum(r.sales)::bigint as sales, sum(r.refunds)::bigint as refunds, sum(r.revenue)::bigint as revenue,
          sum(r.refunded)::bigint as refunded
          from ${rows} r where ${selection.rows('r')}
          group by r.partner_id, r.currency`;
  const revenue = await db.execute<{ partners_with_activity: number; currencies: CurrencyRow[]; performers: PerformerRow[] }>(sql`
    with per_partner as materialized (${perPartner}),
    per_currency as (
      select currency, sum(sales)::bigint as sales, sum(refunds)::bigint as refunds, sum(revenue)::bigint as revenue,
        sum(refunded)::bigint as refunded, count(*) filter (where revenue > 0)::int as sellers,
        ceil(count(*) filter (where revenue > 0) / 10.0)::int as top_partners
      from per_partner group by currency
    ),
    -- The top tenth's revenue is the sum of that many largest revenues: ties among them do not change it, so a
    -- top-N sort by revenue alone gives it (no ranking of every seller, no tie-breaker).
    top_tenth as (
      select c.currency, t.top_revenue from per_currency c
      cross join lateral (
        select sum(l.revenue)::bigint as top_revenue from (
          select p.revenue from per_partner p where p.currency = c.currency and p.revenue > 0
          order by p.revenue desc limit c.top_partners
        ) l
      ) t
    ),
    top as (
      select t.*, row_number() over (partition by t.currency order by t.revenue desc, t.sales desc, t.partner_id) as position
      from per_currency c
      cross join lateral (
        select p.partner_id, p.currency, p.revenue, p.sales, p.clicks from per_partner p
        where p.currency = c.currency and p.revenue > 0
        order by p.revenue desc, p.sales desc, p.partner_id
        limit ${PERFORMERS_SHOWN}
      ) t
    ),
    ${bottomPerformers(selection, rows, onePerKey && selection.programId !== null && analyticsScope(ability) === null)},
    performers as (
      select 'top' as side, partner_id, currency, revenue, sales, clicks, position from top
      union all
      select 'bottom', partner_id, currency, revenue, sales, clicks, position from bottom where position <= ${PERFORMERS_SHOWN}
    )
    select
      -- Rows are one per partner and currency: in one currency, one per partner.
      case when (select count(*) from per_currency) <= 1
        then (select count(*)::int from per_partner where clicks + leads + sales > 0)
        else (select count(*)::int from (select partner_id from per_partner where clicks + leads + sales > 0 group by partner_id) a)
      end as partners_with_activity,
      (select coalesce(json_agg(c order by c.currency), '[]')
        from (select c.*, coalesce(t.top_revenue, 0) as top_revenue from per_currency c left join top_tenth t using (currency)) c)
        as currencies,
      (select coalesce(json_agg(json_build_object(
          'side', f.side, 'currency', f.currency, 'partnerId', f.partner_id, 'referralCode', p.referral_code,
          'name', p.name, 'revenue', f.revenue, 'conversions', f.sales, 'clicks', f.clicks
        ) order by f.currency, f.side desc, f.position), '[]')
        from performers f
        -- A handful of rows: look each partner up (offset 0 keeps the planner from hashing the whole table).
        cross join lateral (
          select partners.referral_code, case when ${piiVisibleSql(ability)} then partners.name end as name
          from partners where partners.id = f.partner_id offset 0
        ) p) as performers`);
  const flags = await db.execute<{ flags: number; confirmed: number; flagged: number }>(sql`
    select count(*)::int as flags, count(*) filter (where f.status = 'confirmed')::int as confirmed,
      count(distinct f.partner_id)::int as flagged
    from fraud_flags f join partners on partners.id = f.partner_id
    where ${selection.partners} and f.created_at >= ${dayStart(range.from)} and f.created_at < ${dayStart(range.to)}`);
  const { partners_with_activity: active, currencies, performers } = revenue.rows[0]!;
  const flagRow = flags.rows[0]!;
  const conversions = currencies.reduce((sum, row) => sum + row.sales, 0);
  const refunds = currencies.reduce((sum, row) => sum + row.refunds, 0);
  const money = (pick: (row: CurrencyRow) => number) =>
    currencies.filter((row) => pick(row) !== 0).map((row) => ({ currency: row.currency, amount: pick(row) }));
  const performerOf = ({ side: _side, currency: _currency, ...performer }: PerformerRow): Performer => performer;

  return {
    quality: {
      flags: flagRow.flags,
      confirmedFlags: flagRow.confirmed,
      flaggedPartners: flagRow.flagged,
      partnersWithActivity: active,
      fraudFlagRate: rate(flagRow.flagged, active),
      conversions,
      refunds,
      refundRate: rate(refunds, conversions),
      revenue: money((row) => row.revenue),
      refunded: money((row) => row.refunded),
    },
    concentration: currencies
      .filter((row) => row.revenue > 0)
      .map((row) => ({
        currency: row.currency,
        revenue: row.revenue,
        sellers: row.sellers,
        topPartners: row.top_partners,
        topRevenue: row.top_revenue,
        share: rate(row.top_revenue, row.revenue),
      })),
    performers: [...new Set(performers.map((row) => row.currency))].map((currency) => ({
      currency,
      top: performers.filter((row) => row.currency === currency && row.side === 'top').map(performerOf),
      bottom: performers.filter((row) => row.currency === currency && row.side === 'bottom').map(performerOf),
    })),
  };
}
