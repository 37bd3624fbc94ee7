import { z } from 'zod';
import { DOCUMENT_KINDS } from '../../../db/schema/compliance.js';

/**
 * A program's configuration: commission tiers (ranked, first = entry tier), performance thresholds that move
 * partners between tiers, and rules. Unknown keys are refused, so a misspelt setting never silently falls back to
 * its default. Units: percentages and rates in basis points (10000 = 100%), money in the program currency's minor
 * units, durations in days.
 */

/** 100% in basis points. */
export const FULL_RATE_BPS = 10_000;
/** The deepest upline level any configuration may pay. */
export const MAX_UPLINE_LEVELS = 10;

const PERCENT_MESSAGE = `a percentage is in basis points and must be between 0 and ${FULL_RATE_BPS} (0–100%)`;

interface Rate {
  rateType: 'percentage' | 'flat';
  value: number;
}
const rateFields = {
  rateType: z.enum(['percentage', 'flat']),
  /** Basis points for a percentage, minor units for a flat amount. */
  value: z.number().int().min(0),
};
const percentageWithinBounds = (rate: Rate) => rate.rateType !== 'percentage' || rate.value <= FULL_RATE_BPS;

export const commissionOverride = z
  .strictObject({ level: z.number().int().min(1).max(MAX_UPLINE_LEVELS), ...rateFields })
  .refine(percentageWithinBounds, { message: PERCENT_MESSAGE, path: ['value'] });

export const commissionTier = z
  .strictObject({
    name: z.string().trim().min(1).max(50),
    ...rateFields,
    /** 0 = the first sale only; N = also recurring sales of the same account for N months. */
    recurringMonths: z.number().int().min(0).max(120).default(0),
    /** Override commissions for the upline: level 1 is the direct parent, level N the Nth ancestor. */
    overrides: z.array(commissionOverride).max(MAX_UPLINE_LEVELS).default([]),
  })
  .refine(percentageWithinBounds, { message: PERCENT_MESSAGE, path: ['value'] })
  .superRefine((tier, ctx) => {
    const levels = new Set<number>();
    tier.overrides.forEach((override, index) => {
      if (levels.has(override.level)) {
        ctx.addIssue({ code: 'custom', path: ['overrides', index, 'level'], message: `level ${override.level} is defined twice` });
      }
      levels.add(override.level);
    });
    // One sale never pays out more than its amount across the partner and the upline.
    const percentages = [tier, ...tier.overrides].filter((rate) => rate.rateType === 'percentage');
    const total = percentages.reduce((sum, rate) => sum + rate.value, 0);
    if (total > FULL_RATE_BPS) {
      ctx.addIssue({
        code: 'custom',
        path: ['overrides'],
        message: `the tier's percentage plus its override percentages is ${total} basis points, more than ${FULL_RATE_BPS} (100%)`,
      });
    }
  });

export const PERFORMANCE_METRICS = ['conversions', 'revenue', 'conversion_rate', 'refund_rate', 'active_days'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

/** Whether more of a metric is better (conversions) or worse (refunds). Bounds compare in this direction. */
export const METRIC_DIRECTION = {
  conversions: 'higher',
  revenue: 'higher',
  conversion_rate: 'higher',
  refund_rate: 'lower',
  active_days: 'higher',
} as const satisfies Record<PerformanceMetric, 'higher' | 'lower'>;

const RATE_METRICS: readonly PerformanceMetric[] = ['conversion_rate', 'refund_rate'];

/** True when `a` is strictly better than `b` on the metric. */
export function isBetter(metric: PerformanceMetric, a: number, b: number): boolean {
  return METRIC_DIRECTION[metric] === 'higher' ? a > b : a < b;
}

/**
 * Bounds of one tier on one metric, measured over the last `periodDays`. Both are inclusive: a partner is promoted
 * to the next tier when the metric reaches `promoteAt` or better, and demoted to the previous tier when it falls
 * to `demoteAt` or worse ("better" is higher, or lower for refund_rate).
 */
export const performanceThreshold = z
  .strictObject({
    tier: z.string().trim().min(1).max(50),
    metric: z.enum(PERFORMANCE_METRICS),
    periodDays: z.number().int().min(1).max(365),
    promoteAt: z.number().int().min(0).optional(),
    demoteAt: z.number().int().min(0).optional(),
  })
  .superRefine((threshold, ctx) => {
    const { metric, promoteAt, demoteAt } = threshold;
    if (promoteAt === undefined && demoteAt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['promoteAt'], message: 'set promoteAt, demoteAt or both' });
    }
    const ceiling = RATE_METRICS.includes(metric) ? FULL_RATE_BPS : metric === 'active_days' ? threshold.periodDays : undefined;
    for (const field of ['promoteAt', 'demoteAt'] as const) {
      const bound = threshold[field];
      if (ceiling !== undefined && bound !== undefined && bound > ceiling) {
        const unit = metric === 'active_days' ? `periodDays (${ceiling})` : `${ceiling} basis points (100%)`;
        ctx.addIssue({ code: 'custom', path: [field], message: `${metric} cannot exceed ${unit}` });
      }
    }
    if (promoteAt !== undefined && demoteAt !== undefined && !isBetter(metric, promoteAt, demoteAt)) {
      const relation = METRIC_DIRECTION[metric] === 'higher' ? 'below' : 'above';
      ctx.addIssue({ code: 'custom', path: ['demoteAt'], message: `must be ${relation} promoteAt (${promoteAt}) for ${metric}` });
    }
  });
export type PerformanceThreshold = z.output<typeof performanceThreshold>;

/** What a threshold says about a measured value: the one place that reads its bounds. */
export function thresholdOutcome(threshold: PerformanceThreshold, value: number): 'promote' | 'demote' | 'stay' {
  const { metric, promoteAt, demoteAt } = threshold;
  if (promoteAt !== undefined && !isBetter(metric, promoteAt, value)) return 'promote';
  if (demoteAt !== undefined && !isBetter(metric, value, demoteAt)) return 'demote';
  return 'stay';
}

export const programRules = z
  .strictObject({
    cookieWindowDays: z.number().int().min(1).max(365).default(30),
    /** Days a commission stays pending (refund window) before it can be paid. */
    holdDays: z.number().int().min(0).max(365).default(30),
    /** Minor units of the program currency. */
    minimumPayout: z.number().int().min(0).default(5_000),
    /** How many upline levels exist (and may be paid overrides); 0 = no hierarchy. */
    maxHierarchyDepth: z.number().int().min(0).max(MAX_UPLINE_LEVELS).default(3),
    selfReferralAllowed: z.boolean().default(false),
    requiredDocuments: z.array(z.enum(DOCUMENT_KINDS)).default([]),
    agreementGraceDays: z.number().int().min(0).max(365).default(14),
    inactivityDays: z.number().int().min(1).max(365).default(60),
    /** After this many inactive days a partner counts as churned (retention analytics). */
    churnDays: z.number().int().min(1).max(730).default(120),
    demotionGraceDays: z.number().int().min(0).max(365).default(30),
    suspendAfterAgreementGrace: z.boolean().default(true),
    uplineQualification: z
      .strictObject({ periodDays: z.number().int().min(1).max(365), minOwnSales: z.number().int().min(1) })
      .nullable()
      .default(null),
    fraud: z
      .strictObject({
        maxLeadsPerIpPerDay: z.number().int().min(1).default(20),
        maxClicksPerMinute: z.number().int().min(1).default(120),
        minSecondsClickToConversion: z.number().int().min(0).default(10),
        maxRefundRateBps: z.number().int().min(0).max(FULL_RATE_BPS).default(3_000),
      })
      .prefault({}),
  })
  .superRefine((rules, ctx) => {
    rules.requiredDocuments.forEach((kind, index) => {
      if (rules.requiredDocuments.indexOf(kind) !== index) {
        ctx.addIssue({ code: 'custom', path: ['requiredDocuments', index], message: `${kind} is listed twice` });
      }
    });
    if (rules.churnDays < rules.inactivityDays) {
      ctx.addIssue({ code: 'custom', path: ['churnDays'], message: `must be at least inactivityDays (${rules.inactivityDays})` });
    }
  });

export const programConfiguration = z
  .strictObject({
    commissionTiers: z.array(commissionTier).min(1).max(20),
    performanceThresholds: z.array(performanceThreshold).max(100).default([]),
    rules: programRules.prefault({}),
  })
  .superRefine((config, ctx) => {
    const tierNames = config.commissionTiers.map((tier) => tier.name);
    config.commissionTiers.forEach((tier, index) => {
      if (tierNames.indexOf(tier.name) !== index) {
        ctx.addIssue({ code: 'custom', path: ['commissionTiers', index, 'name'], message: `tier ${tier.name} is defined twice` });
      }
      tier.overrides.forEach((override, overrideIndex) => {
        if (override.level > config.rules.maxHierarchyDepth) {
          ctx.addIssue({
            code: 'custom',
            path: ['commissionTiers', index, 'overrides', overrideIndex, 'level'],
            message: `level ${override.level} exceeds rules.maxHierarchyDepth (${config.rules.maxHierarchyDepth})`,
          });
        }
      });
    });
    checkThresholds(config.performanceThresholds, tierNames, ctx);
  });

function checkThresholds(thresholds: PerformanceThreshold[], tierNames: string[], ctx: z.RefinementCtx) {
  const at = (index: number, field?: string) => ['performanceThresholds', index, ...(field ? [field] : [])];
  const lastRank = tierNames.length - 1;
  const seen = new Set<string>();
  const ranked: { index: number; rank: number; threshold: PerformanceThreshold }[] = [];
  thresholds.forEach((threshold, index) => {
    const rank = tierNames.indexOf(threshold.tier);
    if (rank < 0) {
      ctx.addIssue({ code: 'custom', path: at(index, 'tier'), message: `tier ${threshold.tier} is not one of commissionTiers` });
      return;
    }
    const key = `${threshold.tier}\u0000${threshold.metric}`;
    if (seen.has(key)) {
      ctx.addIssue({ code: 'custom', path: at(index, 'metric'), message: `tier ${threshold.tier} has ${threshold.metric} twice` });
    }
    seen.add(key);
    if (threshold.promoteAt !== undefined && rank === lastRank) {
      ctx.addIssue({ code: 'custom', path: at(index, 'promoteAt'), message: `tier ${threshold.tier} is the highest tier: there is none to promote to` });
    }
    if (threshold.demoteAt !== undefined && rank === 0) {
      ctx.addIssue({ code: 'custom', path: at(index, 'demoteAt'), message: `tier ${threshold.tier} is the lowest tier: there is none to demote to` });
    }
    ranked.push({ index, rank, threshold });
  });

  // Per metric, bounds must rise with the tier, and a promotion must not land a partner where it is demoted at
  // once: otherwise partners would bounce between tiers or skip through several on one measurement.
  ranked.sort((a, b) => a.rank - b.rank);
  for (const metric of PERFORMANCE_METRICS) {
    const chain = ranked.filter((entry) => entry.threshold.metric === metric);
    for (let i = 1; i < chain.length; i++) {
      const lower = chain[i - 1]!;
      const upper = chain[i]!;
      if (lower.rank === upper.rank) continue;
      const lowerName = lower.threshold.tier;
      for (const field of ['promoteAt', 'demoteAt'] as const) {
        const low = lower.threshold[field];
        const high = upper.threshold[field];
        if (low !== undefined && high !== undefined && !isBetter(metric, high, low)) {
          ctx.addIssue({
            code: 'custom',
            path: at(upper.index, field),
            message: `must be ${METRIC_DIRECTION[metric]} than tier ${lowerName}'s ${field} (${low}) on ${metric}`,
          });
        }
      }
      const promotion = lower.threshold.promoteAt;
      const demotion = upper.threshold.demoteAt;
      if (upper.rank === lower.rank + 1 && promotion !== undefined && demotion !== undefined && !isBetter(metric, promotion, demotion)) {
        ctx.addIssue({
          code: 'custom',
          path: at(upper.index, 'demoteAt'),
          message: `overlaps tier ${lowerName}'s promoteAt (${promotion}) on ${metric}: a promoted partner would be demoted at once`,
        });
      }
    }
  }
}

export type ProgramConfiguration = z.output<typeof programConfiguration>;
export type ProgramConfigurationInput = z.input<typeof programConfiguration>;
export type ProgramRules = z.output<typeof programRules>;
