import { sql } from 'drizzle-orm';
import type { Executor } from '../../../../db/client.js';
import type { ProgramInForce } from '../../partner-jobs/programs-in-force.js';
import { programRules } from '../../programs/configuration.js';
import { rate, type Rate } from '../measures.js';
import { activeDaysBetween } from '../rollups.js';
import { addDays, bucketOf, bucketsOf, type DayRange } from '../range.js';
import type { Selection } from '../scope.js';
import { dayStart, type AnalyticsSources } from '../sources.js';

/**
 * A monthly activation cohort: the partners of the selection first activated in that UTC month (within the range).
 * `activeByMonth[k]` counts those with a click, lead or sale (under the program) in the k-th month from the
 * cohort's month, up to the range's last month. The states are those of the retention job at the range's end, with "seen" meaning the last
 * click, lead or sale before the end (else the activation): terminated or erased partners are churned, suspended
 * ones suspended, the others churned when unseen for the program's `churnDays`, at risk when unseen for its
 * `inactivityDays`, else active.
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

type CohortRow = { cohort: string; month: string | null; size: number; active: number; at_risk: number; churned: number; suspended: number };

const DEFAULT_RULES = programRules.parse({});

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
  // Seen in the `days` before the end: a bit of the month rows' active days in [end − days, end).
  const seenWithin = (days: string) =>
    sql`bool_or(m.active_days & ${activeDaysBetween(sql`m.period`, sql`${end} - ${sql.raw(`c.${days}`)}`, end)} <> 0)`;
  const unseen = (days: string) =>
    sql`not coalesce(s.${sql.raw(`seen_${days}`)}, false) and c.activated_at < ${dayStart(range.to)} - make_interval(days => c.${sql.raw(days)})`;
  const result = await db.execute<CohortRow>(sql`
    with rules as (
      select * from jsonb_to_recordset(${JSON.stringify(rules)}::jsonb) as r(program_id uuid, inactivity_days int, churn_days int)
    ),
    cohort as materialized (
      select partners.id, partners.status, partners.erased_at, partners.activated_at,
        date_trunc('month', partners.activated_at at time zone 'UTC')::date as cohort,
        coalesce(r.inactivity_days, ${DEFAULT_RULES.inactivityDays}) as inactivity_days,
        coalesce(r.churn_days, ${DEFAULT_RULES.churnDays}) as churn_days
      from partners left join rules r on r.program_id = partners.program_id
      where ${selection.partners}
        and partners.activated_at >= ${dayStart(range.from)} and partners.activated_at < ${dayStart(range.to)}
    ),
    seen as (
      select m.partner_id, ${seenWithin('churn_days')} as seen_churn_days, ${seenWithin('inactivity_days')} as seen_inactivity_days
      from ${sources.months({ from: bucketOf(addDays(range.to, -longest), 'month'), to: range.to })} m
      join cohort c on c.id = m.partner_id
      where ${selection.rows('m')}
      group by m.partner_id
    ),
    classified as (
      select c.cohort, case
          when c.status = 'terminated' or c.erased_at is not null then 'churned'
          when c.status = 'suspended' then 'suspended'
          when ${unseen('churn_days')} then 'churned'
          when ${unseen('inactivity_days')} then 'at_risk'
          else 'active'
        end as state
      from cohort c left join seen s on s.partner_id = c.id
    ),
    -- The partners active in each month, once each (a partner has a row per currency): grouped in the rollup's
    -- (program, month, partner) index order, before the join, a stream rather than a hash of every row.
    active_months as (
      select m.period as month, m.partner_id
      from ${sources.months({ from: bucketOf(range.from, 'month'), to: range.to })} m
      where ${selection.rows('m')} and m.active_days & ${activeDaysBetween(sql`m.period`, sql`${range.from}::date`, end)} <> 0
      group by m.period, m.partner_id
    ),
    monthly as (
      select c.cohort, m.partner_id, m.month
      from active_months m join cohort c on c.id = m.partner_id and m.month >= c.cohort
    )
    select cohort::text, null as month, count(*)::int as size,
      count(*) filter (where state = 'active')::int as active, count(*) filter (where state = 'at_risk')::int as at_risk,
      count(*) filter (where state = 'churned')::int as churned, count(*) filter (where state = 'suspended')::int as suspended
    from classified group by cohort
    union all
    select cohort::text, month::text, count(*)::int, 0, 0, 0, 0 from monthly group by 1, 2`);

  const months = bucketsOf(range, 'month');
  const activeIn = new Map(result.rows.filter((row) => row.month !== null).map((row) => [`${row.cohort}|${row.month}`, row.size]));
  return result.rows
    .filter((row) => row.month === null)
    .sort((a, b) => (a.cohort < b.cohort ? -1 : 1))
    .map((row) => ({
      cohort: row.cohort,
      size: row.size,
      activeByMonth: months.filter((month) => month >= row.cohort).map((month) => activeIn.get(`${row.cohort}|${month}`) ?? 0),
      active: row.active,
      atRisk: row.at_risk,
      churned: row.churned,
      suspended: row.suspended,
      churnRate: rate(row.churned, row.size),
    }));
}
