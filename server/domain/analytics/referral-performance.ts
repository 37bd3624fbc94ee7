import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../../../db/client.js';
import { piiVisibleSql, type Caller } from '../partners/access.js';
import { checkCursor, toPage, type Page } from '../shared/pagination.js';
import { rate, type Money, type Rate } from './measures.js';
import { resolveRange, type DayRange } from './range.js';
import type { FunnelGrouping, ReferralPerformanceInput } from './schemas.js';
import { requireProgram, selectionFor } from './scope.js';
import { inSnapshot } from './snapshot.js';
import { eventPeriods, rollupSources, type AnalyticsSources } from './sources.js';

/** The referral funnel click → lead → sale (conversion), with the rates between its steps. */
export interface Funnel {
  clicks: number;
  leads: number;
  conversions: number;
  refunds: number;
  clickToLead: Rate;
  leadToConversion: Rate;
  clickToConversion: Rate;
  revenue: Money[];
}

export type FunnelGroup =
  | { partnerId: string; referralCode: string; name: string | null }
  | { tier: string | null }
  | { programId: string; name: string };

export interface ReferralPerformance extends Page<Funnel & { group: FunnelGroup }> {
  groupBy: FunnelGrouping;
  range: DayRange;
  /** The funnel of everything selected, across all groups. */
  totals: Funnel;
}

type FunnelRow = { clicks: number; leads: number; sales: number; refunds: number; revenue: Money[] | null };
type GroupRow = FunnelRow & { key: string; referral_code: string | null; name: string | null };

const cursorShape = z.object({ s: z.number().int().min(0), k: z.string().max(100) });
const encodeCursor = (row: GroupRow) => Buffer.from(JSON.stringify({ s: row.sales, k: row.key })).toString('base64url');
function decodeCursor(raw: string) {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function funnelOf(row: FunnelRow): Funnel {
  return {
    clicks: row.clicks,
    leads: row.leads,
    conversions: row.sales,
    refunds: row.refunds,
    clickToLead: rate(row.leads, row.clicks),
    leadToConversion: rate(row.sales, row.leads),
    clickToConversion: rate(row.sales, row.clicks),
    revenue: row.revenue ?? [],
  };
}

/** What each grouping groups by, and the label it shows. `r` is the rollup row; partners joins on its partner. */
function grouping(groupBy: FunnelGrouping, caller: Caller): { key: SQL; label: SQL } {
  switch (groupBy) {
    case 'partner':
      return {
        key: sql`r.partner_id::text`,
        label: sql`partners.referral_code, case when ${piiVisibleSql(caller.ability)} then partners.name end as name`,
      };
    case 'tier':
      return { key: sql`coalesce(partners.tier, '')`, label: sql`null as referral_code, null as name` };
    case 'program':
      return { key: sql`r.program_id::text`, label: sql`null as referral_code, pr.name` };
  }
}

function groupOf(groupBy: FunnelGrouping, row: GroupRow): FunnelGroup {
  if (groupBy === 'partner') return { partnerId: row.key, referralCode: row.referral_code!, name: row.name };
  if (groupBy === 'tier') return { tier: row.key === '' ? null : row.key };
  return { programId: row.key, name: row.name! };
}

const sums = sql`sum(clicks)::bigint as clicks, sum(leads)::bigint as leads, sum(sales)::bigint as sales,
  sum(refunds)::bigint as refunds,
  json_agg(json_build_object('currency', currency, 'amount', revenue) order by currency) filter (where revenue <> 0) as revenue`;

/**
 * analytics.referralPerformance: the funnel per partner, tier (the partner's current tier) or program (the one the
 * events were attributed under) over the range, most conversions first (then by key, descending), cursor-paged.
 */
export function referralPerformance(
  db: Database,
  caller: Caller,
  input: ReferralPerformanceInput,
  sources: AnalyticsSources = rollupSources,
  now: Date = new Date(),
): Promise<ReferralPerformance> {
  return inSnapshot(db, (tx) => funnelsOf(tx, caller, input, sources, now));
}

async function funnelsOf(db: Executor, caller: Caller, input: ReferralPerformanceInput, sources: AnalyticsSources, now: Date): Promise<ReferralPerformance> {
  const range = resolveRange(input.dateRange, now);
  const cursor = input.cursor ? checkCursor(input.cursor, decodeCursor) : undefined;
  if (input.programId) await requireProgram(db, input.programId);
  const selection = selectionFor(caller.ability, input.programId);
  const { key, label } = grouping(input.groupBy, caller);
  const result = await db.execute<GroupRow & { totals: FunnelRow | null }>(sql`
    with per_currency as materialized (
      select ${key} as key, r.currency, sum(r.clicks) as clicks, sum(r.leads) as leads, sum(r.sales) as sales,
        sum(r.refunds) as refunds, sum(r.revenue) as revenue
      from ${eventPeriods(sources, range)} r join partners on partners.id = r.partner_id
      where ${selection.rows('r')}
      group by 1, 2
    ),
    groups as (select key, ${sums} from per_currency group by key),
    totals as (
      select sum(clicks)::bigint as clicks, sum(leads)::bigint as leads, sum(sales)::bigint as sales,
        sum(refunds)::bigint as refunds,
        (select json_agg(json_build_object('currency', currency, 'amount', amount) order by currency)
         from (select currency, sum(revenue)::bigint as amount from per_currency group by currency) m where amount <> 0) as revenue
      from per_currency
    )
    select g.key, g.clicks, g.leads, g.sales, g.refunds, g.revenue, ${label}, (select row_to_json(totals) from totals) as totals
    from groups g
    left join partners on ${input.groupBy === 'partner' ? sql`partners.id = g.key::uuid` : sql`false`}
    left join programs pr on ${input.groupBy === 'program' ? sql`pr.id = g.key::uuid` : sql`false`}
    where ${cursor ? sql`(g.sales, g.key) < (${cursor.s}::bigint, ${cursor.k}::text)` : sql`true`}
    order by g.sales desc, g.key desc
    limit ${input.limit + 1}`);
  const totals = result.rows[0]?.totals ?? (await funnelTotals(db, sources, range, selection.rows('r')));
  const page = toPage(result.rows, input.limit, encodeCursor);
  return {
    groupBy: input.groupBy,
    range,
    totals: funnelOf(totals),
    items: page.items.map((row) => ({ group: groupOf(input.groupBy, row), ...funnelOf(row) })),
    nextCursor: page.nextCursor,
  };
}

/** The totals when the page came back empty (past the last group, or nothing in the range). */
async function funnelTotals(db: Executor, sources: AnalyticsSources, range: DayRange, where: SQL): Promise<FunnelRow> {
  const result = await db.execute<FunnelRow>(sql`
    select coalesce(sum(clicks), 0)::bigint as clicks, coalesce(sum(leads), 0)::bigint as leads,
      coalesce(sum(sales), 0)::bigint as sales, coalesce(sum(refunds), 0)::bigint as refunds,
      (select json_agg(json_build_object('currency', currency, 'amount', amount) order by currency)
       from (select currency, sum(revenue)::bigint as amount from ${eventPeriods(sources, range)} r where ${where} group by currency) m
       where amount <> 0) as revenue
    from ${eventPeriods(sources, range)} r where ${where}`);
  return result.rows[0]!;
}
