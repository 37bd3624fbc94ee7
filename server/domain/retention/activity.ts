import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { instant } from '../partner-jobs/exclusive.js';

/**
 * When partner `p` was last seen: their last activity, else their activation, else their sign-up — the choice the
 * communications `at_risk` audience makes, so "at risk" means the same there and here.
 */
export const lastSeenSql = sql`coalesce(p.last_activity_at, p.activated_at, p.created_at)`;

/** Whether partner `p` has not been seen for `days` days at `now`. */
export function unseenForSql(days: number, now: Date) {
  return sql`${lastSeenSql} <= ${instant(now)} - make_interval(days => ${days}::int)`;
}

/** The kinds of attributed event that count as a partner's activity (a refund is the customer's doing). */
const ACTIVITY_KINDS = ['click', 'lead', 'sale'];

/**
 * Moves `partners.last_activity_at` up to each current partner's latest attributed click, lead or sale at or before
 * `now` (ingestion does not maintain it). One statement: per partner and kind, one backward step on the
 * (partner_id, kind, occurred_at) index; rows locked in id order, as every multi-row partner write of the jobs
 * does. Only ever moves forward, so running it again changes nothing.
 */
export async function syncLastActivity(tx: Executor, now: Date): Promise<number> {
  const result = await tx.execute(sql`
    with seen as (
      select q.id, max(latest.occurred_at) as latest
      from partners q
      cross join unnest(${sql.param(ACTIVITY_KINDS)}::text[]) as k(kind)
      cross join lateral (
        select e.occurred_at from referral_events e
        where e.partner_id = q.id and e.kind = k.kind and e.attribution_status = 'attributed' and e.occurred_at <= ${instant(now)}
        order by e.occurred_at desc
        limit 1
      ) latest
      where q.status not in ('rejected', 'terminated') and q.erased_at is null
      group by q.id
    ),
    behind as (
      select p.id, seen.latest from partners p join seen on seen.id = p.id
      where seen.latest > coalesce(p.last_activity_at, '-infinity'::timestamptz)
      order by p.id
      for update of p
    )
    update partners p set last_activity_at = greatest(p.last_activity_at, behind.latest)
    from behind where p.id = behind.id`);
  return result.rowCount ?? 0;
}
