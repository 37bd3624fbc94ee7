import type { PerformanceThreshold } from '../programs/configuration.js';
import { evaluateTier, type Evaluation, type Measurement } from './evaluate.js';
import type { MeasuredPartner } from './metrics.js';

const DAY_MS = 86_400_000;

export interface TierChange {
  partnerId: string;
  fromTier: string;
  toTier: string;
  note: string;
}

export interface PendingDemotion {
  partnerId: string;
  tier: string;
  reason: Measurement;
}

export interface TierPlan {
  /** Promotions, and demotions whose grace period is over (from the partner's tier to the one they end in). */
  changes: TierChange[];
  /** Partners below a bound of their tier for the first time (or of the tier they are demoted to): a demotion starts to be pending. */
  newPending: PendingDemotion[];
  /** Every partner whose demotion is pending after this run (new or still in grace). Other markers go. */
  pending: string[];
}

export interface PlanInput {
  /** The program's commission tiers, lowest first. */
  tiers: string[];
  thresholds: PerformanceThreshold[];
  measured: Map<string, MeasuredPartner>;
  /** Demotions already pending: partner → since when. */
  pendingSince: Map<string, Date>;
  demotionGraceDays: number;
  now: Date;
}

const describe = (reason: Measurement, relation: string) =>
  `${reason.metric} ${reason.value} over ${reason.periodDays} days (${relation} ${reason.bound})`;

/**
 * Decides each measured partner's move. A promotion happens at once and climbs as far as the metrics carry the
 * partner (stopping below a tier whose thresholds would demote them again); a demotion only after
 * `demotionGraceDays` below a bound without a break (the first time below starts the pending demotion; 0 days of
 * grace demotes at once). After a demotion the lower tier is judged too: below its bounds as well, the partner's
 * next pending demotion starts now (or, without grace, the demotion goes on down). So a run leaves nothing for a
 * second run in the same period to do. Pure: the job reads the inputs and writes the plan in a few statements.
 */
export function planTierChanges(input: PlanInput): TierPlan {
  const byTier = new Map<string, PerformanceThreshold[]>();
  for (const threshold of input.thresholds) byTier.set(threshold.tier, [...(byTier.get(threshold.tier) ?? []), threshold]);
  const evaluateAt = (rank: number, partner: MeasuredPartner) => evaluateTier(byTier.get(input.tiers[rank]!) ?? [], partner.byPeriod);
  const plan: TierPlan = { changes: [], newPending: [], pending: [] };
  for (const [partnerId, partner] of input.measured) {
    const rank = input.tiers.indexOf(partner.tier);
    const evaluation = evaluateAt(rank, partner);
    if (evaluation.decision === 'promote') {
      const reasons: Measurement[] = [];
      let reached = rank;
      for (let step: Evaluation = evaluation; step.decision === 'promote' && reached + 1 < input.tiers.length; ) {
        // The configuration keeps one metric's bounds from overlapping; across metrics only this check does (a
        // partner demoted for refunds must not be promoted straight back for their sales).
        const next = evaluateAt(reached + 1, partner);
        if (next.decision === 'demote') break;
        reasons.push(...step.reasons);
        reached++;
        step = next;
      }
      if (reached === rank) continue;
      const note = `Promoted by performance: ${reasons.map((reason) => describe(reason, 'promote at')).join('; ')}`;
      plan.changes.push({ partnerId, fromTier: partner.tier, toTier: input.tiers[reached]!, note });
      continue;
    }
    if (evaluation.decision !== 'demote' || rank <= 0) continue;
    const since = input.pendingSince.get(partnerId);
    const graceOver =
      input.demotionGraceDays === 0 || (since !== undefined && input.now.getTime() - since.getTime() >= input.demotionGraceDays * DAY_MS);
    if (!graceOver) {
      plan.pending.push(partnerId);
      if (since === undefined) plan.newPending.push({ partnerId, tier: partner.tier, reason: evaluation.reason });
      continue;
    }
    let reached = rank - 1;
    let below = evaluateAt(reached, partner);
    while (input.demotionGraceDays === 0 && below.decision === 'demote' && reached > 0) below = evaluateAt(--reached, partner);
    const note = `Demoted by performance after ${input.demotionGraceDays} days of grace: ${describe(evaluation.reason, 'demote at')}`;
    plan.changes.push({ partnerId, fromTier: partner.tier, toTier: input.tiers[reached]!, note });
    // Below the lower tier's bounds too: that tier's pending demotion starts now (the old one goes with the old tier).
    if (below.decision === 'demote' && reached > 0) plan.newPending.push({ partnerId, tier: input.tiers[reached]!, reason: below.reason });
  }
  return plan;
}
