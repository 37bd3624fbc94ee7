import { sql, type SQL } from 'drizzle-orm';
import { splitByMonths, type DayRange } from './range.js';
import type { Executor } from '../../../db/client.js';
import { activeDayBits, activeMonthBit, attributedEvents, eventMeasures, measureColumns as eventColumns, yearOf } from './rollups.js';
import { windowRows } from './windows.js';
import { acceptedCurrentAgreementSql, partnerRowAcceptedCurrentAgreementSql } from '../agreements/acceptances.js';
import { hasValidDocumentSql, partnerRowHasValidDocumentSql } from '../compliance-jobs/required-documents.js';

/**
 * Where the analytics queries read their aggregates. Each is a derived table the queries alias and filter:
 * - `days` / `months`: partner_id, period (the day, or the month's first day), program_id, currency, clicks, leads,
 *   sales, refunds, revenue, refunded — for periods in the range; months also `active_days` (see rollups.ts);
 * - `years`: partner_id, period (the year's first day), program_id, active_months, last_active_day — for years
 *   starting in the range, each whole (see analytics_partner_years);
 * - `activity`: partner_id, first_event_at, last_event_at, first_sale_at, and the partner's current program_id and
 *   partner_created_at (sign-up);
 * - `commissionDays`: partner_id, day, currency, kind, level, status, amount, entries — for days in the range;
 * - `window`: partner_id, program_id, currency and the event measures summed over the range, one row per key — when
 *   a kept trailing window is exactly the range (windows.ts), else null;
 * - `agreementAccepted`: a condition on the (unaliased) partners table: the partner accepted the current agreement;
 * - `documentValid(kind, today)`: a condition on the (unaliased) partners table: the partner holds an approved document
 *   of that kind valid on `today`.
 * The procedures read the rollups. `rawSources` computes the very same tables from referral_events and commissions
 * on the fly: what a dashboard would cost without rollups (the benchmark's baseline), and the reference the
 * rollup tests compare against.
 */
export interface AnalyticsSources {
  days(range: DayRange): SQL;
  months(range: DayRange): SQL;
  years(range: DayRange): SQL;
  activity(): SQL;
  commissionDays(range: DayRange): SQL;
  window(db: Executor, range: DayRange): Promise<SQL | null>;
  agreementAccepted: SQL;
  documentValid(kind: string, today: string): SQL;
}

const date = (day: string) => sql`${day}::date`;
/** The instant a UTC day starts, as a timestamptz. */
export const dayStart = (day: string) => sql`(${day}::date)::timestamp at time zone 'UTC'`;

export const rollupSources: AnalyticsSources = {
  days: (range) => sql`(
    select partner_id, day as period, program_id, currency, ${eventColumns} from analytics_partner_days
    where day >= ${date(range.from)} and day < ${date(range.to)})`,
  months: (range) => sql`(
    select partner_id, month as period, program_id, currency, ${eventColumns}, active_days from analytics_partner_months
    where month >= ${date(range.from)} and month < ${date(range.to)})`,
  years: (range) => sql`(
    select partner_id, year as period, program_id, active_months, last_active_day from analytics_partner_years
    where year >= ${date(range.from)} and year < ${date(range.to)})`,
  activity: () =>
    sql`(select partner_id, first_event_at, last_event_at, first_sale_at, program_id, partner_created_at from analytics_partner_activity)`,
  commissionDays: (range) => sql`(
    select partner_id, day, currency, kind, level, status, amount, entries from analytics_commission_days
    where day >= ${date(range.from)} and day < ${date(range.to)})`,
  window: windowRows,
  agreementAccepted: partnerRowAcceptedCurrentAgreementSql,
  documentValid: partnerRowHasValidDocumentSql,
};

/** The first 1 January on or after `day`: where the years starting in a range begin, and where the last one ends. */
const yearStartFrom = (day: string) => (day.endsWith('-01-01') ? day : `${Number(day.slice(0, 4)) + 1}-01-01`);

const eventsWithin = (range: DayRange) =>
  attributedEvents(sql`e.occurred_at >= ${dayStart(range.from)} and e.occurred_at < ${dayStart(range.to)}`);

/** The commission entries as the rollup keys them, with the day they count on. */
const commissionEntries = sql`
  select c.partner_id, (coalesce(e.occurred_at, c.created_at) at time zone 'UTC')::date as day, c.currency, c.kind,
    c.level, c.status, c.amount
  from commissions c left join referral_events e on e.id = coalesce(c.refund_event_id, c.event_id)
  where c.kind in ('earning', 'override', 'reversal')`;

export const rawSources: AnalyticsSources = {
  days: (range) => sql`(
    select partner_id, day as period, program_id, currency, ${eventMeasures}
    from (${eventsWithin(range)}) f group by 1, 2, 3, 4)`,
  months: (range) => sql`(
    select partner_id, date_trunc('month', day::timestamp)::date as period, program_id, currency, ${eventMeasures},
      ${activeDayBits} as active_days
    from (${eventsWithin(range)}) f group by 1, 2, 3, 4)`,
  years: (range) => sql`(
    select partner_id, ${yearOf(sql`day`)} as period, program_id, bit_or(${activeMonthBit(sql`day`)}) as active_months,
      max(day) as last_active_day
    from (${eventsWithin({ from: yearStartFrom(range.from), to: yearStartFrom(range.to) })}) f
    where kind <> 'refund' group by 1, 2, 3)`,
  activity: () => sql`(
    select f.partner_id, min(f.occurred_at) as first_event_at, max(f.occurred_at) as last_event_at,
      min(f.occurred_at) filter (where f.kind = 'sale') as first_sale_at, p.program_id, p.created_at as partner_created_at
    from (${attributedEvents(sql`e.kind <> 'refund'`)}) f join partners p on p.id = f.partner_id
    group by f.partner_id, p.program_id, p.created_at)`,
  commissionDays: (range) => sql`(
    select partner_id, day, currency, kind, level, status, sum(amount)::bigint as amount, count(*)::int as entries
    from (${commissionEntries}) c
    where day >= ${date(range.from)} and day < ${date(range.to)}
    group by 1, 2, 3, 4, 5, 6)`,
  window: async () => null,
  agreementAccepted: acceptedCurrentAgreementSql(sql`partners.id`),
  documentValid: (kind, today) => hasValidDocumentSql(sql`partners.id`, sql`${kind}`, today),
};

const ALL_EVENT_COLUMNS = ['partner_id', 'period', 'program_id', 'currency', 'clicks', 'leads', 'sales', 'refunds', 'revenue', 'refunded'] as const;
export type EventColumn = (typeof ALL_EVENT_COLUMNS)[number];

/**
 * The range's event measures from whole months where it can and days at its edges; one row per source row. Naming
 * the `columns` a query reads lets PostgreSQL answer from a covering index.
 */
export function eventPeriods(sources: AnalyticsSources, range: DayRange, columns: readonly EventColumn[] = ALL_EVENT_COLUMNS): SQL {
  const { months, days } = splitByMonths(range);
  const parts = [...(months ? [sources.months(months)] : []), ...days.map((piece) => sources.days(piece))];
  const list = sql.raw(columns.join(', '));
  return sql`(${sql.join(
    parts.map((part) => sql`select ${list} from ${part} piece`),
    sql` union all `,
  )})`;
}

/**
 * The range's event measures for queries that sum them per partner: the window's rows when one is exactly the range
 * (`onePerKey`: one row per partner, program and currency), else `eventPeriods` (several rows per key). Columns:
 * partner_id, program_id, currency and the measures.
 */
export async function rangeRows(db: Executor, sources: AnalyticsSources, range: DayRange): Promise<{ rows: SQL; onePerKey: boolean }> {
  const columns = ALL_EVENT_COLUMNS.filter((column) => column !== 'period');
  const window = await sources.window(db, range);
  return window ? { rows: window, onePerKey: true } : { rows: eventPeriods(sources, range, columns), onePerKey: false };
}
