import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { systemActor } from '../jobs/system-actor.js';
import { inExclusiveTransaction } from '../partner-jobs/exclusive.js';
import { programsInForce } from '../partner-jobs/programs-in-force.js';
import { measureCandidates } from './candidates.js';
import { metricsScopeOf } from './metrics.js';
import { clearStalePendingDemotions, keepPendingDemotions, pendingDemotionsOf, startPendingDemotions } from './pending.js';
import { planTierChanges } from './plan.js';
import { applyTierChanges } from './tier-changes.js';

export const PERFORMANCE_JOB = 'performance-thresholds';
const LOCK = `affiliate-ops:job:${PERFORMANCE_JOB}`;

/**
 * The performance-threshold job at `now`, one transaction per program: measures every active partner over the
 * program's threshold periods (one statement), decides promotions and demotions (`planTierChanges`), then writes
 * them in a few statements: pending demotions and their alerts, tier changes with history, audit and notices;
 * after a run that moved a tier, vacuums the tables the moves updated.
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
      const scope = metricsScopeOf(program);
      const measured =
        scope.tiers.length === 0 ? { measured: 0, partners: new Map() } : await measureCandidates(tx, scope, performanceThresholds, now);
      const plan = planTierChanges({
        tiers: commissionTiers.map((tier) => tier.name),
        thresholds: performanceThresholds,
        measured: measured.partners,
        pendingSince: await pendingDemotionsOf(tx, program.id),
        demotionGraceDays: rules.demotionGraceDays,
        now,
      });
      counts.measured += measured.measured;
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
  if (counts.promoted + counts.demoted > 0) await vacuumAfterTierMoves(db);
  return counts;
}

/**
 * A tier move clears the visibility-map bit of its partner's page, and the dashboards' index-only scans over
 * partners then read the heap until the next vacuum (programHealth on 1M partners: 1.45 s before a first run, 2.56 s
 * after it, 1.45 s after a vacuum). At autovacuum's default threshold, a fifth of the rows, that is several runs
 * away, so a run that moved anyone vacuums what it moved. Outside any transaction; `skip_locked` never waits.
 */
async function vacuumAfterTierMoves(db: Database): Promise<void> {
  await db.execute(sql`vacuum (skip_locked) partners, partner_tiers, enrollments`);
}
