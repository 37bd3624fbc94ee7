import { sql } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import type { Caller } from '../partners/access.js';
import { MoneyTotals, rate, type Money, type Rate } from './measures.js';
import { bucketsOf, resolveRange, type DayRange } from './range.js';
import type { PartnerPerformanceInput } from './schemas.js';
import { authorizePartnerAnalytics, loadPartner } from './scope.js';
import { inSnapshot } from './snapshot.js';
import { rangeRows, rollupSources, type AnalyticsSources } from './sources.js';

export interface ActivityCounts {
  clicks: number;
  leads: number;
  conversions: number;
  refunds: number;
  /** conversions ÷ clicks */
  conversionRate: Rate;
  /** refunds ÷ conversions */
  refundRate: Rate;
  revenue: Money[];
  refunded: Money[];
}

export interface PerformancePoint extends ActivityCounts {
  /** The bucket's first day (YYYY-MM-DD). */
  start: string;
  /** Net commission of the partner's entries counted on the bucket's days: earnings, overrides, reversals. */
  commissions: Money[];
}

/**
 * The partner's commissions over the range. `earned` is every earning and override credited; what became of it
 * is split by status — the net of credits and reversals still `pending`, `approved` or `paid`, and `reversed`, the
 * amount clawed back — so earned = pending + approved + paid + reversed in each currency.
 */
export interface CommissionSummary {
  earned: Money[];
  pending: Money[];
  approved: Money[];
  paid: Money[];
  reversed: Money[];
}

export interface PartnerPerformance {
  partnerId: string;
  programId: string | null;
  range: DayRange;
  granularity: PartnerPerformanceInput['granularity'];
  series: PerformancePoint[];
  totals: ActivityCounts & {
    commissions: CommissionSummary;
    /** Override commissions from the partner's downline, net of their reversals, per upline level. */
    downline: { level: number; commissions: Money[] }[];
  };
  /**
   * Where the partner's revenue over the range ranks in its program: `rank` = peers with less revenue ÷ (peers − 1),
   * so 0 is the lowest and 10,000 bp the highest. Peers are the partners with revenue attributed under the program
   * in the range, and the partner itself. Null for a partner in no program.
   */
  percentile: { programId: string; peers: number; revenue: number; rank: Rate } | null;
}

type ActivityRow = {
  bucket: string;
  currency: string;
  clicks: number;
  leads: number;
  sales: number;
  refunds: number;
  revenue: number;
  refunded: number;
};
type CommissionRow = { bucket: string; currency: string; kind: string; level: number; status: string; amount: number };

class ActivityTotals {
  clicks = 0;
  leads = 0;
  conversions = 0;
  refunds = 0;
  revenue = new MoneyTotals();
  refunded = new MoneyTotals();

  add(row: Omit<ActivityRow, 'bucket'>): void {
    this.clicks += row.clicks;
    this.leads += row.leads;
    this.conversions += row.sales;
    this.refunds += row.refunds;
    this.revenue.add(row.currency, row.revenue);
    this.refunded.add(row.currency, row.refunded);
  }

  counts(): ActivityCounts {
    return {
      clicks: this.clicks,
      leads: this.leads,
      conversions: this.conversions,
      refunds: this.refunds,
      conversionRate: rate(this.conversions, this.clicks),
      refundRate: rate(this.refunds, this.conversions),
      revenue: this.revenue.list(),
      refunded: this.refunded.list(),
    };
  }
}

/** analytics.partnerPerformance: one partner's activity, money and standing, as a series of buckets and totals. */
export function partnerPerformance(
  db: Database,
  caller: Caller,
  input: PartnerPerformanceInput,
  sources: AnalyticsSources = rollupSources,
  now: Date = new Date(),
): Promise<PartnerPerformance> {
  return inSnapshot(db, (tx) => performanceOf(tx, caller, input, sources, now));
}

async function performanceOf(
  db: Executor,
  caller: Caller,
  input: PartnerPerformanceInput,
  sources: AnalyticsSources,
  now: Date,
): Promise<PartnerPerformance> {
  const range = resolveRange(input.dateRange, now);
  const buckets = bucketsOf(range, input.granularity);
  const partner = await loadPartner(db, input.partnerId);
  authorizePartnerAnalytics(caller, partner);

  const bucket = (column: string) => sql`date_trunc(${input.granularity}, ${sql.raw(column)}::timestamp)::date::text`;
  const activity = await db.execute<ActivityRow>(sql`
    select ${bucket('d.period')} as bucket, d.currency, sum(d.clicks)::bigint as clicks, sum(d.leads)::bigint as leads,
      sum(d.sales)::bigint as sales, sum(d.refunds)::bigint as refunds, sum(d.revenue)::bigint as revenue,
      sum(d.refunded)::bigint as refunded
    from ${sources.days(range)} d where d.partner_id = ${partner.id}
    group by 1, 2`);
  const commissions = await db.execute<CommissionRow>(sql`
    select ${bucket('c.day')} as bucket, c.currency, c.kind, c.level, c.status, sum(c.amount)::bigint as amount
    from ${sources.commissionDays(range)} c where c.partner_id = ${partner.id}
    group by 1, 2, 3, 4, 5`);
  const percentile = partner.programId ? await programPercentile(db, sources, range, partner.id, partner.programId) : null;

  const points = new Map(buckets.map((start) => [start, { activity: new ActivityTotals(), commissions: new MoneyTotals() }]));
  const totals = new ActivityTotals();
  for (const row of activity.rows) {
    points.get(row.bucket)?.activity.add(row);
    totals.add(row);
  }
  const summary = {
    earned: new MoneyTotals(),
    pending: new MoneyTotals(),
    approved: new MoneyTotals(),
    paid: new MoneyTotals(),
    reversed: new MoneyTotals(),
  };
  const downline = new Map<number, MoneyTotals>();
  for (const row of commissions.rows) {
    points.get(row.bucket)?.commissions.add(row.currency, row.amount);
    if (row.kind === 'reversal') summary.reversed.add(row.currency, -row.amount);
    else summary.earned.add(row.currency, row.amount);
    if (row.status === 'pending' || row.status === 'approved' || row.status === 'paid') summary[row.status].add(row.currency, row.amount);
    if (row.level > 0) {
      if (!downline.has(row.level)) downline.set(row.level, new MoneyTotals());
      downline.get(row.level)!.add(row.currency, row.amount);
    }
  }

  return {
    partnerId: partner.id,
    programId: partner.programId,
    range,
    granularity: input.granularity,
    series: [...points].map(([start, point]) => ({ start, ...point.activity.counts(), commissions: point.commissions.list() })),
    totals: {
      ...totals.counts(),
      commissions: {
        earned: summary.earned.list(),
        pending: summary.pending.list(),
        approved: summary.approved.list(),
        paid: summary.paid.list(),
        reversed: summary.reversed.list(),
      },
      downline: [...downline]
        .sort(([a], [b]) => a - b)
        .map(([level, amounts]) => ({ level, commissions: amounts.list() }))
        .filter((entry) => entry.commissions.length > 0),
    },
    percentile,
  };
}

/**
 * The partner's standing among the program's partners with revenue in the range: every one of them reads its
 * revenue from a partial index of revenue rows (of the range's window when one is kept, else of its months and
 * days), no partner without revenue needs reading.
 */
async function programPercentile(db: Executor, sources: AnalyticsSources, range: DayRange, partnerId: string, programId: string) {
  const { rows } = await rangeRows(db, sources, range);
  // The partner's revenue first (its own rows, by key), then one pass over the sellers counting those at or above it.
  const result = await db.execute<{ revenue: number; sellers: number; above: number }>(sql`
    with mine as (
      select coalesce(sum(r.revenue), 0)::bigint as revenue from ${rows} r
      where r.program_id = ${programId} and r.partner_id = ${partnerId} and r.revenue > 0
    )
    select (select revenue from mine) as revenue, count(*)::int as sellers,
      (count(*) filter (where s.revenue >= (select revenue from mine) and s.partner_id <> ${partnerId}))::int as above
    from (
      select r.partner_id, sum(r.revenue) as revenue from ${rows} r
      where r.program_id = ${programId} and r.revenue > 0 group by r.partner_id
    ) s`);
  const row = result.rows[0]!;
  const peers = row.revenue > 0 ? row.sellers : row.sellers + 1;
  const below = peers - 1 - row.above;
  return { programId, peers, revenue: row.revenue, rank: rate(below, peers - 1) };
}
