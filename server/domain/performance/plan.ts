import type { PerformanceThreshold } from '../programs/configuration.js';
import { evaluateTier, type Measurement } from './evaluate.js';
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
  /** Promotions, and demotions whose grace period is over. */
  changes: TierChange[];
  /** Partners below a bound for the first time: a demotion starts to be pending. */
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
 * Decides each measured partner's move, one tier at a time: promotion at once (unless the next tier's thresholds
 * would demote the partner again); demotion only after
 * `demotionGraceDays` below a bound without a break (the first time below starts the pending demotion; 0 days of
 * grace demotes at once). Pure: the job reads the inputs and writes the plan in a few statements.
 */
export function planTierChanges(input: PlanInput): TierPlan {
  const byTier = new Map<string, PerformanceThreshold[]>();
  for (const threshold of input.thresholds) byTier.set(threshold.tier, [...(byTier.get(threshold.tier) ?? []), threshold]);
  const plan: TierPlan = { changes: [], newPending: [], pending: [] };
  for (const [partnerId, partner] of input.measured) {
    const rank = input.tiers.indexOf(partner.tier);
    const evaluation = evaluateTier(byTier.get(partner.tier) ?? [], partner.byPeriod);
    if (evaluation.decision === 'promote') {
      const toTier = input.tiers[rank + 1];
      // The configuration keeps one metric's bounds from overlapping; across metrics only this check does (a
      // partner demoted for refunds must not be promoted straight back for their sales).
      if (toTier === undefined || evaluateTier(byTier.get(toTier) ?? [], partner.byPeriod).decision === 'demote') continue;
      const note = `Promoted by performance: ${evaluation.reasons.map((reason) => describe(reason, 'promote at')).join('; ')}`;
      plan.changes.push({ partnerId, fromTier: partner.tier, toTier, note });
      continue;
    }
    if (evaluation.decision !== 'demote' || rank <= 0) continue;
    const since = input.pendingSince.get(partnerId);
    const graceOver =
      input.demotionGraceDays === 0 || (since !== undefined && input.now.getTime() - since.getTime() >= input.demotionGraceDays * DAY_MS);
    if (graceOver) {
      const note = `Demoted by performance after ${input.demotionGraceDays} days of grace: ${describe(evaluation.reason, 'demote at')}`;
      plan.changes.push({ partnerId, fromTier: partner.tier, toTier: input.tiers[rank - 1]!, note });
      continue;
    }
    plan.pending.push(partnerId);
    if (since === undefined) plan.newPending.push({ partnerId, tier: partner.tier, reason: evaluation.reason });
  }
  return plan;
}
