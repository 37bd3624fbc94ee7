import { sql, type SQL } from 'drizzle-orm';

/**
 * The attributed referral events `which` selects, as the rollups count them: partner, program, UTC day and the
 * currency of the row they land in (a sale's or refund's own; for clicks and leads the program's). Ineligible and
 * unattributed events earn no partner anything and count for no partner here either. `e` is referral_events.
 */
export function attributedEvents(which: SQL): SQL {
  return sql`${attributedRowsOf(sql`referral_events`)} where e.attribution_status = 'attributed' and ${which}`;
}

/** The measures of a group of `attributedEvents` rows, in the rollup tables' column order. */
export const eventMeasures = sql`
  count(*) filter (where kind = 'click')::int as clicks,
  count(*) filter (where kind = 'lead')::int as leads,
  count(*) filter (where kind = 'sale')::int as sales,
  count(*) filter (where kind = 'refund')::int as refunds,
  coalesce(sum(amount) filter (where kind = 'sale'), 0)::bigint as revenue,
  coalesce(sum(amount) filter (where kind = 'refund'), 0)::bigint as refunded`;

/** The measures every event rollup carries, in column order. */
export const MEASURES = ['clicks', 'leads', 'sales', 'refunds', 'revenue', 'refunded'] as const;
export const measureColumns = sql.raw(MEASURES.join(', '));
export const addMeasures = sql.raw(MEASURES.map((column) => `${column} = t.${column} + excluded.${column}`).join(', '));

/** The `active_days` bit of one day (a date): bit d − 1 for day d of its month. */
export const activeDayBit = (day: SQL) => sql`1 << (extract(day from ${day})::int - 1)`;

/**
 * A month row's `active_days` over a group of `attributedEvents` rows: bit d − 1 set for each day d of the month with
 * a click, lead or sale. Rows fold into a stored one with `|`.
 */
export const activeDayBits = sql`coalesce(bit_or(${activeDayBit(sql`day`)}) filter (where kind <> 'refund'), 0)`;

/** The `active_days` bits of the days of `month` (its first day, a date) that fall in [from, to). */
export const activeDaysBetween = (month: SQL, from: SQL, to: SQL) =>
  sql`((1::bigint << least(greatest(${to} - ${month}, 0), 31)) - (1::bigint << least(greatest(${from} - ${month}, 0), 31)))`;

/** The `active_months` bit of a month (a date in it): bit m − 1 for month m. */
export const activeMonthBit = (day: SQL) => sql`1 << (extract(month from ${day})::int - 1)`;

/** The first day of the UTC year of a date. */
export const yearOf = (day: SQL) => sql`date_trunc('year', ${day}::timestamp)::date`;

/**
 * Trailing windows of whole UTC days kept in `analytics_partner_windows`: a week, a month, a quarter and a year,
 * each ending (exclusive) on the state's `as_of` — today once the windows job has run. A dashboard over exactly
 * such a range reads one row per partner there instead of summing its months and edge days: at 1M partners that
 * is the difference between reading ~1M rollup rows and ~200k.
 */
export const WINDOW_DAYS = [7, 30, 90, 365] as const;
export const windowDays = sql.raw(`array[${WINDOW_DAYS.join(', ')}]`);

/** A join adding `w.days`: each window that covers `day` when the windows end on `asOf`. */
export const windowsCovering = (day: SQL, asOf: SQL) =>
  sql`join unnest(${windowDays}) w(days) on ${day} >= ${asOf} - w.days and ${day} < ${asOf}`;

/**
 * The window upsert as a CTE over `folded` (see `rollupUpserts`): an event of a day before `as_of` is added to every
 * window covering that day. Today's events are in no window yet, so for live traffic this writes nothing. The
 * state row is read FOR SHARE: a concurrent `rollWindows` (FOR UPDATE) waits for this transaction, and one that
 * moved `as_of` first is seen here, so each event lands in the windows exactly once.
 */
export const windowUpsert = sql`
    windows as (
      insert into analytics_partner_windows as t (days, program_id, partner_id, currency, ${measureColumns})
      select w.days, f.program_id, f.partner_id, f.currency, ${eventMeasures}
      from folded f cross join (select as_of from analytics_window_state for share) s
      ${windowsCovering(sql`f.day`, sql`s.as_of`)}
      group by 1, 2, 3, 4 order by 1, 2, 3, 4
      on conflict (days, program_id, partner_id, currency) do update set ${addMeasures}
    )`;

/**
 * The rollup upserts as CTEs (`days`, `months`, `activity`, `years`, `windows`) over a CTE named `folded` with the
 * columns of `attributedEvents`: grouped per rollup row, rows taken in key order (so concurrent batches lock shared
 * rows in the same order). The upserts add to what is there, so they must see each event exactly once. Concurrent
 * transactions that touch one row serialize on it.
 */
export const rollupUpserts = sql`
    days as (
      insert into analytics_partner_days as t (partner_id, day, program_id, currency, ${measureColumns})
      select partner_id, day, program_id, currency, ${eventMeasures}
      from folded group by 1, 2, 3, 4 order by 1, 2, 3, 4
      on conflict (partner_id, day, program_id, currency) do update set ${addMeasures}
    ),
    months as (
      insert into analytics_partner_months as t (partner_id, month, program_id, currency, ${measureColumns}, active_days)
      select partner_id, date_trunc('month', day::timestamp)::date, program_id, currency, ${eventMeasures}, ${activeDayBits}
      from folded group by 1, 2, 3, 4 order by 1, 2, 3, 4
      on conflict (partner_id, month, program_id, currency) do update set ${addMeasures}, active_days = t.active_days | excluded.active_days
    ),
    activity as (
      insert into analytics_partner_activity as t (partner_id, first_event_at, last_event_at, first_sale_at, program_id, partner_created_at)
      select f.partner_id, min(f.occurred_at), max(f.occurred_at), min(f.occurred_at) filter (where f.kind = 'sale'), p.program_id, p.created_at
      -- A partner's program and sign-up are copied into a row created here; a later change is the partners trigger's
      -- (migration 0036), which also waits for a row being created here right now.
      from folded f join partners p on p.id = f.partner_id
      where f.kind <> 'refund' group by f.partner_id, p.program_id, p.created_at order by f.partner_id
      on conflict (partner_id) do update set
        first_event_at = least(t.first_event_at, excluded.first_event_at),
        last_event_at = greatest(t.last_event_at, excluded.last_event_at),
        first_sale_at = least(t.first_sale_at, excluded.first_sale_at)
    ),
    years as (
      insert into analytics_partner_years as t (program_id, year, partner_id, active_months, last_active_day)
      select program_id, ${yearOf(sql`day`)}, partner_id, bit_or(${activeMonthBit(sql`day`)}), max(day)
      from folded where kind <> 'refund' group by 1, 2, 3 order by 1, 2, 3
      on conflict (program_id, year, partner_id) do update set
        active_months = t.active_months | excluded.active_months,
        last_active_day = greatest(t.last_active_day, excluded.last_active_day)
      -- Most batches add a day already known: no new row version then.
      where excluded.active_months & ~t.active_months <> 0 or excluded.last_active_day > t.last_active_day
    ),
    ${windowUpsert}`;

/**
 * `attributedEvents` of rows already read: `batch` names a CTE of attributed referral_events rows (ingestion's
 * batch), so the fold needs no second read of the table.
 */
export function attributedRowsOf(batch: SQL): SQL {
  return sql`
    select e.partner_id, e.program_id, e.kind, e.amount, e.occurred_at,
      (e.occurred_at at time zone 'UTC')::date as day, coalesce(e.currency, pr.currency) as currency
    from ${batch} e join programs pr on pr.id = e.program_id`;
}
