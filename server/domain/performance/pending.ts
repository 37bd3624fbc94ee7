import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { instant } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { METRIC_DIRECTION, type PerformanceMetric } from '../programs/configuration.js';
import type { PendingDemotion } from './plan.js';

/** Drops pending demotions of partners no longer active in that program and tier (any program). */
export async function clearStalePendingDemotions(tx: Executor): Promise<number> {
  const result = await tx.execute(sql`
    delete from partner_demotion_pending d using partners p
    where p.id = d.partner_id
      and (p.status <> 'active' or p.erased_at is not null or p.program_id is distinct from d.program_id or p.tier is distinct from d.tier)`);
  return result.rowCount ?? 0;
}

export async function pendingDemotionsOf(tx: Executor, programId: string): Promise<Map<string, Date>> {
  const result = await tx.execute<{ partner_id: string; pending_since: string }>(
    sql`select partner_id, pending_since from partner_demotion_pending where program_id = ${programId}`,
  );
  return new Map(result.rows.map((row) => [row.partner_id, new Date(row.pending_since)]));
}

/** Keeps the program's pending demotions of `partnerIds` and drops the rest (recovered, or demoted now). */
export async function keepPendingDemotions(tx: Executor, programId: string, partnerIds: string[]): Promise<number> {
  const result = await tx.execute(sql`
    delete from partner_demotion_pending d
    where d.program_id = ${programId}
      and not exists (select 1 from unnest(${sql.param(partnerIds)}::uuid[]) as kept(id) where kept.id = d.partner_id)`);
  return result.rowCount ?? 0;
}

/**
 * Starts the pending demotions (since `now`) and alerts each partner once: the dedupe key names the tier and the
 * start, so a rerun, which finds the row there, inserts and sends nothing.
 */
export async function startPendingDemotions(
  tx: Executor,
  program: ProgramInForce,
  pending: PendingDemotion[],
  now: Date,
): Promise<{ started: number; alerts: number }> {
  if (pending.length === 0) return { started: 0, alerts: 0 };
  const rows = pending.map(({ partnerId, tier, reason }) => ({
    partner_id: partnerId,
    tier,
    metric: reason.metric,
    value: reason.value,
    threshold: reason.bound,
    period_days: reason.periodDays,
  }));
  type Started = { partner_id: string; tier: string; metric: PerformanceMetric; value: number; threshold: number; period_days: number; pending_since: string };
  const result = await tx.execute<Started>(sql`
    insert into partner_demotion_pending (partner_id, program_id, tier, metric, value, threshold, period_days, pending_since)
    select r.partner_id, ${program.id}, r.tier, r.metric, r.value, r.threshold, r.period_days, ${instant(now)}
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(partner_id uuid, tier text, metric text, value bigint, threshold bigint, period_days int)
    order by r.partner_id
    on conflict (partner_id) do nothing
    returning partner_id, tier, metric, value, threshold, period_days, pending_since`);
  const alerts = await notifyPartners(
    tx,
    'performance_alert',
    result.rows.map((row) => ({
      partnerId: row.partner_id,
      dedupeKey: `demotion-pending:${row.tier}:${new Date(row.pending_since).toISOString()}`,
      variables: {
        metric: row.metric,
        direction: METRIC_DIRECTION[row.metric] === 'higher' ? ('below' as const) : ('above' as const),
        current: row.value,
        threshold: row.threshold,
        periodDays: row.period_days,
        currency: program.currency,
        tier: row.tier,
      },
    })),
  );
  return { started: result.rows.length, alerts };
}
