import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { instant } from '../partner-jobs/exclusive.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { lastSeenSql, unseenForSql } from './activity.js';

export interface MarkedPartner {
  partnerId: string;
  inactiveSince: Date;
}

export interface MarkingResult {
  /** Partners whose inactivity the job noticed in this run (a new row or a new spell): they get re-engagement. */
  newlyAtRisk: MarkedPartner[];
  newlyChurned: number;
  /** Markers removed because the partner was seen again. */
  recovered: number;
}

/** Removes markers of partners that are no longer active partners of the marker's program (any program). */
export async function clearMarkersOfLeavers(tx: Executor): Promise<number> {
  const result = await tx.execute(sql`
    delete from partner_retention r using partners p
    where p.id = r.partner_id
      and (p.status <> 'active' or p.erased_at is not null or p.program_id is distinct from r.program_id)`);
  return result.rowCount ?? 0;
}

/**
 * Brings the program's retention markers up to date at `now`, in one statement: an active partner unseen for
 * `inactivityDays` gets a marker (at risk), one unseen for `churnDays` a churn time, a partner seen again loses it.
 * A marker already there for the same spell of inactivity is left alone, so a second run marks nobody anew.
 */
export async function markInactivePartners(tx: Executor, program: ProgramInForce, now: Date): Promise<MarkingResult> {
  const { inactivityDays, churnDays } = program.configuration.rules;
  const at = instant(now);
  const result = await tx.execute<{ partner_id: string; inactive_since: string | Date | null; newly_at_risk: boolean; newly_churned: boolean }>(sql`
    with inactive as (
      select p.id, ${lastSeenSql} as last_seen, ${unseenForSql(churnDays, now)} as churned
      from partners p
      where p.program_id = ${program.id} and p.status = 'active' and p.erased_at is null and ${unseenForSql(inactivityDays, now)}
    ),
    recovered as (
      delete from partner_retention r
      where r.program_id = ${program.id} and not exists (select 1 from inactive i where i.id = r.partner_id)
      returning r.partner_id
    ),
    marked as (
      insert into partner_retention as r (partner_id, program_id, inactive_since, at_risk_since, churned_since)
      select id, ${program.id}, last_seen, ${at}, case when churned then ${at} end from inactive
      on conflict (partner_id) do update set
        program_id = excluded.program_id,
        inactive_since = excluded.inactive_since,
        at_risk_since = case when r.inactive_since = excluded.inactive_since then r.at_risk_since else excluded.at_risk_since end,
        churned_since = case when r.inactive_since = excluded.inactive_since then coalesce(r.churned_since, excluded.churned_since)
                             else excluded.churned_since end
      where r.inactive_since <> excluded.inactive_since or (r.churned_since is null and excluded.churned_since is not null)
      returning partner_id, inactive_since, at_risk_since = ${at} as newly_at_risk, churned_since = ${at} as newly_churned
    )
    select partner_id, inactive_since, newly_at_risk, coalesce(newly_churned, false) as newly_churned from marked
    union all
    select partner_id, null, false, false from recovered`);
  const rows = result.rows;
  return {
    newlyAtRisk: rows
      .filter((row) => row.newly_at_risk)
      .map((row) => ({ partnerId: row.partner_id, inactiveSince: new Date(row.inactive_since!) })),
    newlyChurned: rows.filter((row) => row.newly_churned).length,
    recovered: rows.filter((row) => row.inactive_since === null).length,
  };
}
