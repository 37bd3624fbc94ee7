import { z } from 'zod';
import { dateRange, pageInput } from '../shared/pagination.js';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Analytics ranges are whole UTC days: `from` is taken back to its day's start, `to` forward to the next midnight. */
const analyticsRange = dateRange.optional();

export const partnerPerformanceInput = z.object({
  partnerId: z.uuid(),
  dateRange: analyticsRange,
  granularity: z.enum(GRANULARITIES).default('day'),
});
export type PartnerPerformanceInput = z.output<typeof partnerPerformanceInput>;

export const programHealthInput = z.object({
  /** Without it: every program (the partners the caller may see). */
  programId: z.uuid().optional(),
  dateRange: analyticsRange,
});
export type ProgramHealthInput = z.output<typeof programHealthInput>;

export const FUNNEL_GROUPINGS = ['partner', 'tier', 'program'] as const;
export type FunnelGrouping = (typeof FUNNEL_GROUPINGS)[number];

export const referralPerformanceInput = pageInput.extend({
  groupBy: z.enum(FUNNEL_GROUPINGS).default('partner'),
  programId: z.uuid().optional(),
  dateRange: analyticsRange,
});
export type ReferralPerformanceInput = z.output<typeof referralPerformanceInput>;

export const accountGrowthInput = z.object({
  partnerId: z.uuid().optional(),
  programId: z.uuid().optional(),
  dateRange: analyticsRange,
  granularity: z.enum(GRANULARITIES).default('month'),
});
export type AccountGrowthInput = z.output<typeof accountGrowthInput>;
