import type { Database } from '../../../db/client.js';
import { systemActor } from '../jobs/system-actor.js';
import { inExclusiveTransaction } from '../partner-jobs/exclusive.js';
import { programsInForce } from '../partner-jobs/programs-in-force.js';
import { measurePartners, type MeasuredPartner } from './metrics.js';
import { clearStalePendingDemotions, keepPendingDemotions, pendingDemotionsOf, startPendingDemotions } from './pending.js';
import { planTierChanges } from './plan.js';
import { applyTierChanges } from './tier-changes.js';

export const PERFORMANCE_JOB = 'performance-thresholds';
const LOCK = `affiliate-ops:job:${PERFORMANCE_JOB}`;

/**
 * The performance-threshold job at `now`, one transaction per program: measures every active partner over the
 * program's threshold periods (one statement), decides promotions and demotions (`planTierChanges`), then writes
 * them in a few statements: pending demotions and their alerts, tier changes with history, audit and notices.
 * The configuration has no performance suspension policy, so this job never suspends.
 */
export async function runPerformanceThresholds(db: Database, now: Date): Promise<Record<string, number>> {
  const actor = systemActor(PERFORMANCE_JOB);
  const counts = {
    measured: 0,
    promoted: 0,
    demoted: 0,
    demotionsPending: 0,
    pendingCleared: 0,
    alertsQueued: 0,
    tierNotices: 0,
    programsUnreadable: 0,
  };
  counts.pendingCleared += await inExclusiveTransaction(db, LOCK, (tx) => clearStalePendingDemotions(tx));
  const { programs, unreadable } = await programsInForce(db, now);
  counts.programsUnreadable = unreadable;
  for (const program of programs) {
    await inExclusiveTransaction(db, LOCK, async (tx) => {
      const { commissionTiers, performanceThresholds, rules } = program.configuration;
      const measuredTiers = [...new Set(performanceThresholds.map((threshold) => threshold.tier))];
      const periods = [...new Set(performanceThresholds.map((threshold) => threshold.periodDays))];
      const metrics = [...new Set(performanceThresholds.map((threshold) => threshold.metric))];
      const scope = { programId: program.id, currency: program.currency, tiers: measuredTiers, periods, metrics };
      const measured = measuredTiers.length === 0 ? new Map<string, MeasuredPartner>() : await measurePartners(tx, scope, now);
      const plan = planTierChanges({
        tiers: commissionTiers.map((tier) => tier.name),
        thresholds: performanceThresholds,
        measured,
        pendingSince: await pendingDemotionsOf(tx, program.id),
        demotionGraceDays: rules.demotionGraceDays,
        now,
      });
      counts.measured += measured.size;
      counts.pendingCleared += await keepPendingDemotions(tx, program.id, plan.pending);
      const started = await startPendingDemotions(tx, program, plan.newPending, now);
      counts.demotionsPending += started.started;
      counts.alertsQueued += started.alerts;
      const applied = await applyTierChanges(tx, actor, program, plan.changes, now);
      counts.promoted += applied.promoted;
      counts.demoted += applied.demoted;
      counts.tierNotices += applied.notified;
    });
  }
  return counts;
}
