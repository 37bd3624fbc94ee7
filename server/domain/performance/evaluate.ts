import { thresholdOutcome, type PerformanceMetric, type PerformanceThreshold } from '../programs/configuration.js';
import type { MetricValues } from './metrics.js';

/** One threshold measured: the value, and the bound it was held against. */
export interface Measurement {
  metric: PerformanceMetric;
  value: number;
  bound: number;
  periodDays: number;
}

export type Evaluation =
  | { decision: 'promote'; reasons: Measurement[] }
  | { decision: 'demote'; reason: Measurement }
  | { decision: 'stay' };

/**
 * What a tier's thresholds say about a partner's metrics, each threshold read by `thresholdOutcome`: demote when any
 * metric is at or past its `demoteAt` (the first such threshold is the reason); promote when the tier has
 * `promoteAt` bounds and every one of them is reached; otherwise stay. A rate without a denominator (null) neither
 * demotes nor counts as reached.
 */
export function evaluateTier(thresholds: PerformanceThreshold[], byPeriod: Map<number, MetricValues>): Evaluation {
  const measured = thresholds.map((threshold) => {
    const value = byPeriod.get(threshold.periodDays)?.[threshold.metric] ?? null;
    return { threshold, value, outcome: value === null ? 'stay' : thresholdOutcome(threshold, value) };
  });
  const demoting = measured.find((entry) => entry.outcome === 'demote');
  if (demoting) {
    const { threshold, value } = demoting;
    return { decision: 'demote', reason: { metric: threshold.metric, value: value!, bound: threshold.demoteAt!, periodDays: threshold.periodDays } };
  }
  const promoters = measured.filter((entry) => entry.threshold.promoteAt !== undefined);
  if (promoters.length > 0 && promoters.every((entry) => entry.outcome === 'promote')) {
    return {
      decision: 'promote',
      reasons: promoters.map(({ threshold, value }) => ({
        metric: threshold.metric,
        value: value!,
        bound: threshold.promoteAt!,
        periodDays: threshold.periodDays,
      })),
    };
  }
  return { decision: 'stay' };
}
