import { sql, type SQL } from 'drizzle-orm';
import { AGGREGATE_WORK_MEM, type Database, type Executor } from '../../../db/client.js';
import { addDays, daysBetween, type DayRange } from './range.js';
import { addMeasures, MEASURES, measureColumns, WINDOW_DAYS, windowDays, windowsCovering } from './rollups.js';

/** Further behind than this, the windows job recomputes them from the day rollup instead of stepping day by day. */
const MAX_STEP_DAYS = 7;

/**
 * The rows of the window equal to `range` (partner_id, program_id, currency and the measures, one row per key),
 * or null when no kept window is that range.
 */
export async function windowRows(db: Executor, range: DayRange): Promise<SQL | null> {
  const days = daysBetween(range);
  if (!(WINDOW_DAYS as readonly number[]).includes(days)) return null;
  const state = await db.execute<{ as_of: string }>(sql`select as_of::text from analytics_window_state`);
  if (state.rows[0]?.as_of !== range.to) return null;
  return sql`(select partner_id, program_id, currency, ${measureColumns} from analytics_partner_windows where days = ${days})`;
}

/**
 * The windows job: moves `as_of` on to `now`'s UTC day, adding the day that enters each window and taking away the
 * day that leaves it (a few statements per day), or recomputing every window from the day rollup when they are
 * more than a week behind or were never built. A second run on the same day changes nothing.
 */
export async function rollWindows(db: Database, now: Date): Promise<{ days: number; rebuilt: number }> {
  const today = now.toISOString().slice(0, 10);
  return db.transaction(async (tx) => {
    const asOf = await lockWindows(tx);
    if (asOf >= today) return { days: 0, rebuilt: 0 };
    const behind = daysBetween({ from: asOf, to: today });
    if (behind > MAX_STEP_DAYS) await rebuildWindows(tx, today);
    else for (let day = asOf; day < today; day = addDays(day, 1)) await stepWindows(tx, day);
    await tx.execute(sql`update analytics_window_state set as_of = ${today}::date`);
    return { days: behind, rebuilt: behind > MAX_STEP_DAYS ? 1 : 0 };
  });
}

/** Recomputes every window from the day rollup, ending on `asOf` (the bench seed, after loading rollups directly). */
export async function resetWindows(db: Database, asOf: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockWindows(tx);
    await rebuildWindows(tx, asOf);
    await tx.execute(sql`update analytics_window_state set as_of = ${asOf}::date`);
  });
}

/**
 * Locks the window state against ingestion and other rolls for the transaction; returns `as_of`. A database that
 * never built its windows gets a state with empty windows ending long ago, which is true of them.
 */
async function lockWindows(tx: Executor): Promise<string> {
  await tx.execute(AGGREGATE_WORK_MEM);
  await tx.execute(sql`insert into analytics_window_state (as_of) values ('1970-01-01') on conflict do nothing`);
  const state = await tx.execute<{ as_of: string }>(sql`select as_of::text from analytics_window_state for update`);
  return state.rows[0]!.as_of;
}

/** Every window recomputed from the day rollup, ending on `asOf`. */
async function rebuildWindows(tx: Executor, asOf: string): Promise<void> {
  const longest = Math.max(...WINDOW_DAYS);
  await tx.execute(sql`delete from analytics_partner_windows`);
  await tx.execute(sql`
    insert into analytics_partner_windows (days, program_id, partner_id, currency, ${measureColumns})
    select w.days, d.program_id, d.partner_id, d.currency, ${summedMeasures(sql`1`)}
    from programs p
    join analytics_partner_days d on d.program_id = p.id and d.day >= ${addDays(asOf, -longest)}::date and d.day < ${asOf}::date
    ${windowsCovering(sql`d.day`, sql`${asOf}::date`)}
    group by 1, 2, 3, 4
    -- In key order, so a window's rows of one program lie together (dashboards read them by program).
    order by 1, 2, 3, 4`);
}

/** Moves every window from ending on `day` to ending on the day after: `day` enters, `day` − N leaves window N. */
async function stepWindows(tx: Executor, day: string): Promise<void> {
  const leaving = sql`d.day = ${day}::date - w.days`;
  // Per program, so the days come from the program index rather than a scan of the whole rollup.
  const dayRows = (days: SQL) => sql`programs p join analytics_partner_days d on d.program_id = p.id and d.day in (${days})`;
  const leavingDays = sql.join(WINDOW_DAYS.map((days) => sql`${addDays(day, -days)}::date`), sql`, `);
  await tx.execute(sql`
    insert into analytics_partner_windows as t (days, program_id, partner_id, currency, ${measureColumns})
    select w.days, d.program_id, d.partner_id, d.currency, ${summedMeasures(sql`case when ${leaving} then -1 else 1 end`)}
    from ${dayRows(sql`${day}::date, ${leavingDays}`)} join unnest(${windowDays}) w(days) on d.day = ${day}::date or ${leaving}
    group by 1, 2, 3, 4 order by 1, 2, 3, 4
    on conflict (days, program_id, partner_id, currency) do update set ${addMeasures}`);
  // Keys whose last day left hold only zeros now.
  await tx.execute(sql`
    delete from analytics_partner_windows t
    using ${dayRows(leavingDays)} join unnest(${windowDays}) w(days) on ${leaving}
    where t.days = w.days and t.program_id = d.program_id and t.partner_id = d.partner_id and t.currency = d.currency
      and ${sql.raw(MEASURES.map((column) => `t.${column} = 0`).join(' and '))}`);
}

/** The day rollup's measures summed, each row weighted by `sign` (the insert casts them to the columns' types). */
function summedMeasures(sign: SQL): SQL {
  return sql.join(MEASURES.map((column) => sql`sum(${sign} * d.${sql.raw(column)})`), sql`, `);
}
