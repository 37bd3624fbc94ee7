import { z } from 'zod';
import { DOCUMENT_KINDS } from '../../../db/schema/compliance.js';

/** Rates: percentages in basis points (0–10000 = 0–100%), flat amounts in the program currency's minor units. */
const rate = z
  .object({
    rateType: z.enum(['percentage', 'flat']),
    value: z.number().int().min(0),
  })
  .refine((r) => r.rateType !== 'percentage' || r.value <= 10_000, {
    message: 'a percentage rate is in basis points and must be between 0 and 10000 (0–100%)',
    path: ['value'],
  });

export const commissionTier = z.object({
  name: z.string().trim().min(1).max(50),
  rateType: z.enum(['percentage', 'flat']),
  value: z.number().int().min(0),
  /** 0 = the first sale only; N = also recurring sales of the same account for N months. */
  recurringMonths: z.number().int().min(0).max(120).default(0),
  /** Override commissions for the upline: level 1 is the direct parent. */
  overrides: z.array(rate.and(z.object({ level: z.number().int().min(1).max(10) }))).default([]),
});

export const PERFORMANCE_METRICS = ['conversions', 'revenue', 'conversion_rate', 'refund_rate', 'active_days'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

export const performanceThreshold = z.object({
  tier: z.string().trim().min(1).max(50),
  metric: z.enum(PERFORMANCE_METRICS),
  /** The rolling window the metric is measured over. */
  periodDays: z.number().int().min(1).max(365),
  /** Move up to the next tier at or above this value (rates in basis points, money in minor units). */
  promoteAt: z.number().int().min(0).optional(),
  /** Move down to the previous tier below this value. */
  demoteBelow: z.number().int().min(0).optional(),
});

export const programRules = z.object({
  cookieWindowDays: z.number().int().min(1).max(365).default(30),
  holdDays: z.number().int().min(0).max(365).default(30),
  minimumPayout: z.number().int().min(0).default(5_000),
  maxHierarchyDepth: z.number().int().min(0).max(10).default(3),
  selfReferralAllowed: z.boolean().default(false),
  requiredDocuments: z.array(z.enum(DOCUMENT_KINDS)).default([]),
  agreementGraceDays: z.number().int().min(0).max(365).default(14),
  inactivityDays: z.number().int().min(1).max(365).default(60),
  /** After this many inactive days a partner counts as churned (retention analytics). */
  churnDays: z.number().int().min(1).max(730).default(120),
  demotionGraceDays: z.number().int().min(0).max(365).default(30),
  suspendAfterAgreementGrace: z.boolean().default(true),
  uplineQualification: z
    .object({ periodDays: z.number().int().min(1).max(365), minOwnSales: z.number().int().min(1) })
    .nullable()
    .default(null),
  fraud: z
    .object({
      maxLeadsPerIpPerDay: z.number().int().min(1).default(20),
      maxClicksPerMinute: z.number().int().min(1).default(120),
      minSecondsClickToConversion: z.number().int().min(0).default(10),
      maxRefundRateBps: z.number().int().min(0).max(10_000).default(3_000),
    })
    .prefault({}),
});

export const programConfiguration = z
  .object({
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
      if (tier.rateType === 'percentage' && tier.value > 10_000) {
        ctx.addIssue({
          code: 'custom',
          path: ['commissionTiers', index, 'value'],
          message: 'a percentage rate is in basis points and must be between 0 and 10000 (0–100%)',
        });
      }
      const levels = new Set<number>();
      tier.overrides.forEach((override, overrideIndex) => {
        const path = ['commissionTiers', index, 'overrides', overrideIndex, 'level'];
        if (override.level > config.rules.maxHierarchyDepth) {
          ctx.addIssue({ code: 'custom', path, message: `level ${override.level} exceeds rules.maxHierarchyDepth (${config.rules.maxHierarchyDepth})` });
        }
        if (levels.has(override.level)) ctx.addIssue({ code: 'custom', path, message: `level ${override.level} is defined twice` });
        levels.add(override.level);
      });
    });
    config.performanceThresholds.forEach((threshold, index) => {
      const path = ['performanceThresholds', index];
      if (!tierNames.includes(threshold.tier)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'tier'], message: `tier ${threshold.tier} is not one of commissionTiers` });
      }
      if (threshold.promoteAt === undefined && threshold.demoteBelow === undefined) {
        ctx.addIssue({ code: 'custom', path, message: 'set promoteAt, demoteBelow or both' });
      }
      if (threshold.promoteAt !== undefined && threshold.demoteBelow !== undefined && threshold.demoteBelow >= threshold.promoteAt) {
        ctx.addIssue({ code: 'custom', path: [...path, 'demoteBelow'], message: 'must be below promoteAt' });
      }
    });
    // Bounds of neighbouring tiers on one metric must not overlap, or partners would bounce between them.
    for (const [index, threshold] of config.performanceThresholds.entries()) {
      const rank = tierNames.indexOf(threshold.tier);
      const next = config.performanceThresholds.find(
        (other) => other.metric === threshold.metric && tierNames.indexOf(other.tier) === rank + 1,
      );
      if (next?.demoteBelow !== undefined && threshold.promoteAt !== undefined && next.demoteBelow > threshold.promoteAt) {
        ctx.addIssue({
          code: 'custom',
          path: ['performanceThresholds', index, 'promoteAt'],
          message: `overlaps tier ${next.tier}'s demoteBelow (${next.demoteBelow}) on ${threshold.metric}`,
        });
      }
    }
  });

export type ProgramConfiguration = z.output<typeof programConfiguration>;
export type ProgramConfigurationInput = z.input<typeof programConfiguration>;
