import { sql } from 'drizzle-orm';
import type { Executor } from '../../../../db/client.js';
import type { ProgramInForce } from '../../partner-jobs/programs-in-force.js';
import { programRules } from '../../programs/configuration.js';
import { rate, type Rate } from '../measures.js';
import { activeDaysBetween } from '../rollups.js';
import { addDays, ALL_DAYS, bucketOf, bucketsOf, nextBucket, type DayRange } from '../range.js';
import type { Selection } from '../scope.js';
import { dayStart, type AnalyticsSources } from '../sources.js';

/**
 * A monthly activation cohort: the partners of the selection first activated in that UTC month (within the range).
 * `activeByMonth[k]` counts those with a click, lead or sale (under the program) in the k-th month from the
 * cohort's month, up to the range's last month. The states are those of the retention job at the range's end, with
 * "seen" meaning the last click, lead or sale before the end (else the activation): terminated or erased partners are
 * churned, suspended ones suspended, the others churned when unseen for the program's `churnDays`, at risk when
 * unseen for its `inactivityDays`, else active.
 *
 * Read from one year row per partner (analytics_partner_years: active months, last active day), with month rows only
 * for a first month the range cuts (which days count) and, when the selection was active on or after the range's
 * end, for a last month it cuts and for the days before the end (a year row's last day is then not the last before
 * the end).
 */
export interface Cohort {
  cohort: string;
  size: number;
  activeByMonth: number[];
  active: number;
  atRisk: number;
  churned: number;
  suspended: number;
  churnRate: Rate;
}

type CohortRow = { cohort: string; part: 'state' | 'year' | 'edge'; period: string | null; counts: number[] };

const DEFAULT_RULES = programRules.parse({});

/**
 * The range's months whose activity is told by day, from the month rows: those it covers only in part, except a last
 * month it cuts when nobody was active on or after the end (then all of that month's activity is in the range).
 */
function partialMonths(range: DayRange, activeAfterEnd: boolean): string[] {
  return bucketsOf(range, 'month').filter((month) => month < range.from || (activeAfterEnd && nextBucket(month, 'month') > range.to));
}

/** The first day of the UTC year of `day`. */
const yearStart = (day: string) => `${day.slice(0, 4)}-01-01`;

/** Per year row: how many partners were active in each month (index m − 1), one count per `active_months` bit. */
const monthCounts = sql.raw(`array[${Array.from({ length: 12 }, (_, bit) => `count(*) filter (where y.active_months & ${1 << bit} <> 0)`).join(', ')}]::int[]`);

/**
 * Whether a partner of the selection had a click, lead or sale on `day` or later: asked program by program, so that
 * each asks the day rollup's (program, day) index for the first such row.
 */
async function activeSince(db: Executor, selection: Selection, sources: AnalyticsSources, day: string): Promise<boolean> {
  const result = await db.execute<{ found: boolean }>(sql`
    select exists (
      select 1 from programs pr cross join lateral (
        select 1 from ${sources.days({ from: day, to: ALL_DAYS.to })} d
        where d.program_id = pr.id and ${selection.rows('d')} and d.clicks + d.leads + d.sales > 0 limit 1
      ) d
    ) as found`);
  return result.rows[0]!.found;
}

export async function cohorts(
  db: Executor,
  selection: Selection,
  sources: AnalyticsSources,
  range: DayRange,
  programs: ProgramInForce[],
): Promise<Cohort[]> {
  const rules = programs.map((program) => ({
    program_id: program.id,
    inactivity_days: program.configuration.rules.inactivityDays,
    churn_days: program.configuration.rules.churnDays,
  }));
  const longest = Math.max(DEFAULT_RULES.churnDays, DEFAULT_RULES.inactivityDays, ...rules.map((rule) => rule.churn_days));
  const end = sql`${range.to}::date`;
  // The earliest day a partner can count as seen on, and where the years read begin (it or the range's start).
  const seenStart = addDays(range.to, -longest);
  const seenFrom = seenStart < range.from ? seenStart : range.from;
  // Seen in the `days` before the end: a bit of the month rows' active days in [end − days, end).
  const seenWithin = (days: string) =>
    sql`bool_or(m.active_days & ${activeDaysBetween(sql`m.period`, sql`${end} - ${sql.raw(`c.${days}`)}`, end)} <> 0)`;
  // A year row's last active day is the last before the end unless the partner was also active on or after the end
  // (a range ending in the past): then the month rows of the days before the end tell it.
  const activeAfterEnd = await activeSince(db, selection, sources, range.to);
  const seenBy = (days: string) =>
    activeAfterEnd ? sql`s.${sql.raw(`seen_${days}`)}, l.day >= ${end} - c.${sql.raw(days)}` : sql`l.day >= ${end} - c.${sql.raw(days)}`;
  const unseen = (days: string) =>
    sql`not coalesce(${seenBy(days)}, false) and c.activated_at < ${dayStart(range.to)} - make_interval(days => c.${sql.raw(days)})`;
  // Only the years from seenStart's matter; when that is the end's year and one program is selected, they are one
  // row per partner already.
  const seenYear = yearStart(seenStart);
  const lastSeen =
    selection.programId && seenYear === yearStart(addDays(range.to, -1))
      ? sql`select partner_id, last_active_day as day from years where period >= ${seenYear}::date and last_active_day < ${end}`
      : sql`select partner_id, max(last_active_day) as day from years
          where period >= ${seenYear}::date and last_active_day < ${end} group by partner_id`;
  // Over every program a partner may have a year row under each program it was in: counted once.
  const yearsPerPartner = selection.programId
    ? sql`years`
    : sql`(select cohort, partner_id, period, bit_or(active_months) as active_months from years group by 1, 2, 3)`;
  // Each month the range cuts is read by the cohorts up to it only: the first such month (the range's start cuts it)
  // by its own cohort alone, so only the partners activated before the month's end are joined.
  const edges = partialMonths(range, activeAfterEnd);
  const edgeQueries = edges.map(
    // count(distinct): a partner has a month row per currency.
    (month) => sql`
    select c.cohort::text, 'edge', ${month}::text, array[count(distinct m.partner_id)]::int[]
    from ${sources.months({ from: month, to: nextBucket(month, 'month') })} m
    join cohort c on c.id = m.partner_id and c.activated_at < ${dayStart(nextBucket(month, 'month'))}
    where ${selection.rows('m')} and m.active_days & ${activeDaysBetween(sql`m.period`, sql`${range.from}::date`, end)} <> 0
    group by 1`,
  );
  const result = await db.execute<CohortRow>(sql`
    with rules as (
      select * from jsonb_to_recordset(${JSON.stringify(rules)}::jsonb) as r(program_id uuid, inactivity_days int, churn_days int)
    ),
    -- Inlined where it is used, so the planner sees the partners index's estimates (a materialized CTE's are guesses,
    -- and they led it to sorts and merge joins).
    cohort as not materialized (
      select partners.id, partners.status, partners.erased_at, partners.activated_at,
        date_trunc('month', partners.activated_at at time zone 'UTC')::date as cohort,
        coalesce(r.inactivity_days, ${DEFAULT_RULES.inactivityDays}) as inactivity_days,
        coalesce(r.churn_days, ${DEFAULT_RULES.churnDays}) as churn_days
      from partners left join rules r on r.program_id = partners.program_id
      where ${selection.partners}
        and partners.activated_at >= ${dayStart(range.from)} and partners.activated_at < ${dayStart(range.to)}
    ),
    years as materialized (
      select c.cohort, y.partner_id, y.period, y.active_months, y.last_active_day
      from ${sources.years({ from: yearStart(seenFrom), to: range.to })} y join cohort c on c.id = y.partner_id
      where ${selection.rows('y')}
    ),
    last_seen as (${lastSeen}),
    ${
      activeAfterEnd
        ? sql`seen as (
      select m.partner_id, ${seenWithin('churn_days')} as seen_churn_days, ${seenWithin('inactivity_days')} as seen_inactivity_days
      from ${sources.months({ from: bucketOf(addDays(range.to, -longest), 'month'), to: range.to })} m
      join cohort c on c.id = m.partner_id
      where ${selection.rows('m')}
      group by m.partner_id
    ),`
        : sql``
    }
    classified as (
      select c.cohort, case
          when c.status = 'terminated' or c.erased_at is not null then 'churned'
          when c.status = 'suspended' then 'suspended'
          when ${unseen('churn_days')} then 'churned'
          when ${unseen('inactivity_days')} then 'at_risk'
          else 'active'
        end as state
      from cohort c left join last_seen l on l.partner_id = c.id ${activeAfterEnd ? sql`left join seen s on s.partner_id = c.id` : sql``}
    )
    select cohort::text, 'state' as part, null as period, array[count(*),
      count(*) filter (where state = 'active'), count(*) filter (where state = 'at_risk'),
      count(*) filter (where state = 'churned'), count(*) filter (where state = 'suspended')]::int[] as counts
    from classified group by cohort
    union all
    select y.cohort::text, 'year', y.period::text, ${monthCounts} from ${yearsPerPartner} y group by 1, 3
    ${
      edgeQueries.length === 0 ? sql`` : sql`union all ${sql.join(edgeQueries, sql` union all `)}`
    }`);

  const rowsOf = (part: CohortRow['part']) => result.rows.filter((row) => row.part === part);
  const yearCounts = new Map(rowsOf('year').map((row) => [`${row.cohort}|${row.period}`, row.counts]));
  const edgeCounts = new Map(rowsOf('edge').map((row) => [`${row.cohort}|${row.period}`, row.counts[0]!]));
  const activeIn = (cohort: string, month: string) =>
    edges.includes(month)
      ? (edgeCounts.get(`${cohort}|${month}`) ?? 0)
      : (yearCounts.get(`${cohort}|${month.slice(0, 4)}-01-01`)?.[Number(month.slice(5, 7)) - 1] ?? 0);
  const months = bucketsOf(range, 'month');
  return rowsOf('state')
    .sort((a, b) => (a.cohort < b.cohort ? -1 : 1))
    .map(({ cohort, counts: [size, active, atRisk, churned, suspended] }) => ({
      cohort,
      size: size!,
      activeByMonth: months.filter((month) => month >= cohort).map((month) => activeIn(cohort, month)),
      active: active!,
      atRisk: atRisk!,
      churned: churned!,
      suspended: suspended!,
      churnRate: rate(churned!, size!),
    }));
}
