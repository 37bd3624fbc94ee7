import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { instant, utcDate } from '../partner-jobs/exclusive.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { unseenForSql } from './activity.js';

/**
 * Writes the program's retention counts for the UTC day of `now`, one row per monthly activation cohort, replacing
 * what an earlier run wrote that day. Every partner of the program ever activated counts once: terminated and
 * erased partners as churned, suspended ones as suspended, active ones by how long they have been unseen (the
 * markers' rule). Returns the number of cohort rows.
 */
export async function takeRetentionSnapshot(tx: Executor, program: ProgramInForce, now: Date): Promise<number> {
  const { inactivityDays, churnDays } = program.configuration.rules;
  const day = utcDate(now);
  await tx.execute(sql`delete from retention_snapshots where day = ${day}::date and program_id = ${program.id}`);
  const result = await tx.execute(sql`
    insert into retention_snapshots (day, program_id, cohort, active, at_risk, churned, suspended, taken_at)
    select ${day}::date, ${program.id}, cohort,
      count(*) filter (where state = 'active'), count(*) filter (where state = 'at_risk'),
      count(*) filter (where state = 'churned'), count(*) filter (where state = 'suspended'), ${instant(now)}
    from (
      select date_trunc('month', p.activated_at at time zone 'UTC')::date as cohort,
        case
          when p.status = 'terminated' or p.erased_at is not null then 'churned'
          when p.status = 'suspended' then 'suspended'
          when ${unseenForSql(churnDays, now)} then 'churned'
          when ${unseenForSql(inactivityDays, now)} then 'at_risk'
          else 'active'
        end as state
      from partners p
      where p.program_id = ${program.id} and p.activated_at is not null and p.status in ('active', 'suspended', 'terminated')
    ) classified
    group by cohort`);
  return result.rowCount ?? 0;
}
