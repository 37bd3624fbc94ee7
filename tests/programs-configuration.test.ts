import { describe, expect, it } from 'vitest';
import {
  programConfiguration,
  thresholdOutcome,
  type PerformanceThreshold,
  type ProgramConfigurationInput,
} from '../server/domain/programs/configuration.js';
import { sampleConfiguration } from './helpers/factories/programs.js';

const tiers = (...names: string[]) => names.map((name, index) => ({ name, rateType: 'percentage' as const, value: 500 + index * 100 }));
const withRules = (rules: Record<string, unknown>) => ({ commissionTiers: tiers('base'), rules });
const withThresholds = (tierNames: string[], ...performanceThresholds: Record<string, unknown>[]) => ({
  commissionTiers: tiers(...tierNames),
  performanceThresholds,
});

/** Each bad configuration, the field its error must name, and a phrase of the message. */
const badConfigurations: { name: string; configuration: unknown; field: string; message: RegExp }[] = [
  { name: 'no tiers', configuration: { commissionTiers: [] }, field: 'commissionTiers', message: /too small/i },
  {
    name: 'a percentage above 100%',
    configuration: { commissionTiers: [{ name: 'base', rateType: 'percentage', value: 10_001 }] },
    field: 'commissionTiers.0.value',
    message: /between 0 and 10000/,
  },
  {
    name: 'a negative flat amount',
    configuration: { commissionTiers: [{ name: 'base', rateType: 'flat', value: -1 }] },
    field: 'commissionTiers.0.value',
    message: /too small/i,
  },
  {
    name: 'a fractional rate',
    configuration: { commissionTiers: [{ name: 'base', rateType: 'percentage', value: 12.5 }] },
    field: 'commissionTiers.0.value',
    message: /expected int/i,
  },
  {
    name: 'an unknown rate type',
    configuration: { commissionTiers: [{ name: 'base', rateType: 'share', value: 5 }] },
    field: 'commissionTiers.0.rateType',
    message: /percentage|flat/,
  },
  {
    name: 'a tier defined twice',
    configuration: { commissionTiers: [...tiers('base'), ...tiers('base')] },
    field: 'commissionTiers.1.name',
    message: /defined twice/,
  },
  {
    name: 'an override percentage above 100%',
    configuration: {
      commissionTiers: [{ name: 'base', rateType: 'flat', value: 100, overrides: [{ level: 1, rateType: 'percentage', value: 20_000 }] }],
    },
    field: 'commissionTiers.0.overrides.0.value',
    message: /between 0 and 10000/,
  },
  {
    name: 'an override level deeper than the hierarchy',
    configuration: {
      commissionTiers: [{ name: 'base', rateType: 'percentage', value: 500, overrides: [{ level: 3, rateType: 'percentage', value: 100 }] }],
      rules: { maxHierarchyDepth: 2 },
    },
    field: 'commissionTiers.0.overrides.0.level',
    message: /exceeds rules.maxHierarchyDepth \(2\)/,
  },
  {
    name: 'an override level given twice',
    configuration: {
      commissionTiers: [
        {
          name: 'base',
          rateType: 'percentage',
          value: 500,
          overrides: [
            { level: 1, rateType: 'percentage', value: 100 },
            { level: 1, rateType: 'flat', value: 100 },
          ],
        },
      ],
    },
    field: 'commissionTiers.0.overrides.1.level',
    message: /defined twice/,
  },
  {
    name: 'tier and overrides paying more than the sale',
    configuration: {
      commissionTiers: [
        {
          name: 'base',
          rateType: 'percentage',
          value: 6_000,
          overrides: [
            { level: 1, rateType: 'percentage', value: 3_000 },
            { level: 2, rateType: 'percentage', value: 2_000 },
          ],
        },
      ],
    },
    field: 'commissionTiers.0.overrides',
    message: /11000 basis points/,
  },
  {
    name: 'a misspelt rule',
    configuration: withRules({ cookieWindowDay: 30 }),
    field: 'rules',
    message: /cookieWindowDay/,
  },
  {
    name: 'a cookie window of zero days',
    configuration: withRules({ cookieWindowDays: 0 }),
    field: 'rules.cookieWindowDays',
    message: /too small/i,
  },
  {
    name: 'a negative minimum payout',
    configuration: withRules({ minimumPayout: -100 }),
    field: 'rules.minimumPayout',
    message: /too small/i,
  },
  {
    name: 'an unknown required document',
    configuration: withRules({ requiredDocuments: ['passport'] }),
    field: 'rules.requiredDocuments.0',
    message: /w9/,
  },
  {
    name: 'a required document listed twice',
    configuration: withRules({ requiredDocuments: ['w9', 'identity', 'w9'] }),
    field: 'rules.requiredDocuments.2',
    message: /listed twice/,
  },
  {
    name: 'churn before inactivity',
    configuration: withRules({ inactivityDays: 90, churnDays: 30 }),
    field: 'rules.churnDays',
    message: /at least inactivityDays \(90\)/,
  },
  {
    name: 'a fraud refund rate above 100%',
    configuration: withRules({ fraud: { maxRefundRateBps: 10_001 } }),
    field: 'rules.fraud.maxRefundRateBps',
    message: /too big/i,
  },
  {
    name: 'a threshold on an unknown tier',
    configuration: withThresholds(['silver', 'gold'], { tier: 'platinum', metric: 'conversions', periodDays: 30, demoteAt: 5 }),
    field: 'performanceThresholds.0.tier',
    message: /not one of commissionTiers/,
  },
  {
    name: 'an unknown metric',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'clicks', periodDays: 30, promoteAt: 5 }),
    field: 'performanceThresholds.0.metric',
    message: /conversions/,
  },
  {
    name: 'a threshold without bounds',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'revenue', periodDays: 30 }),
    field: 'performanceThresholds.0.promoteAt',
    message: /set promoteAt, demoteAt or both/,
  },
  {
    name: 'bounds of one tier that overlap',
    configuration: withThresholds(
      ['bronze', 'silver', 'gold'],
      { tier: 'silver', metric: 'conversions', periodDays: 30, promoteAt: 10, demoteAt: 10 },
    ),
    field: 'performanceThresholds.0.demoteAt',
    message: /must be below promoteAt \(10\)/,
  },
  {
    name: 'refund-rate bounds the wrong way round',
    configuration: withThresholds(
      ['bronze', 'silver', 'gold'],
      { tier: 'silver', metric: 'refund_rate', periodDays: 30, promoteAt: 800, demoteAt: 300 },
    ),
    field: 'performanceThresholds.0.demoteAt',
    message: /must be above promoteAt \(800\)/,
  },
  {
    name: 'a rate bound above 100%',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'conversion_rate', periodDays: 30, promoteAt: 12_000 }),
    field: 'performanceThresholds.0.promoteAt',
    message: /cannot exceed 10000 basis points/,
  },
  {
    name: 'more active days than the period has',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'active_days', periodDays: 30, promoteAt: 31 }),
    field: 'performanceThresholds.0.promoteAt',
    message: /cannot exceed periodDays \(30\)/,
  },
  {
    name: 'a promotion out of the highest tier',
    configuration: withThresholds(['silver', 'gold'], { tier: 'gold', metric: 'revenue', periodDays: 30, promoteAt: 100_000 }),
    field: 'performanceThresholds.0.promoteAt',
    message: /highest tier/,
  },
  {
    name: 'a demotion out of the lowest tier',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'revenue', periodDays: 30, demoteAt: 100 }),
    field: 'performanceThresholds.0.demoteAt',
    message: /lowest tier/,
  },
  {
    name: 'the same metric twice on one tier',
    configuration: withThresholds(
      ['silver', 'gold'],
      { tier: 'silver', metric: 'revenue', periodDays: 30, promoteAt: 100 },
      { tier: 'silver', metric: 'revenue', periodDays: 90, promoteAt: 300 },
    ),
    field: 'performanceThresholds.1.metric',
    message: /has revenue twice/,
  },
  {
    name: 'a demotion bound above the promotion bound of the tier below',
    configuration: withThresholds(
      ['silver', 'gold'],
      { tier: 'silver', metric: 'conversions', periodDays: 30, promoteAt: 20 },
      { tier: 'gold', metric: 'conversions', periodDays: 30, demoteAt: 25 },
    ),
    field: 'performanceThresholds.1.demoteAt',
    message: /overlaps tier silver's promoteAt \(20\)/,
  },
  {
    name: 'promotion bounds that fall as tiers rise',
    configuration: withThresholds(
      ['bronze', 'silver', 'gold'],
      { tier: 'bronze', metric: 'revenue', periodDays: 30, promoteAt: 50_000 },
      { tier: 'silver', metric: 'revenue', periodDays: 30, promoteAt: 40_000, demoteAt: 10_000 },
    ),
    field: 'performanceThresholds.1.promoteAt',
    message: /must be higher than tier bronze's promoteAt \(50000\)/,
  },
  {
    name: 'a misspelt threshold field',
    configuration: withThresholds(['silver', 'gold'], { tier: 'silver', metric: 'revenue', periodDays: 30, promoteAbove: 10 }),
    field: 'performanceThresholds.0',
    message: /promoteAbove/,
  },
];

function issuesOf(configuration: unknown): Record<string, string[]> {
  const result = programConfiguration.safeParse(configuration);
  if (result.success) return {};
  const byField: Record<string, string[]> = {};
  for (const issue of result.error.issues) (byField[issue.path.join('.')] ??= []).push(issue.message);
  return byField;
}

describe('program configuration validation', () => {
  it('accepts the sample configuration and fills in defaults', () => {
    const parsed = programConfiguration.parse(sampleConfiguration());
    expect(parsed.commissionTiers[1]).toMatchObject({ name: 'gold', recurringMonths: 12, overrides: [] });
    expect(parsed.rules).toMatchObject({ cookieWindowDays: 30, selfReferralAllowed: false, uplineQualification: null });
    expect(parsed.rules.fraud).toEqual({
      maxLeadsPerIpPerDay: 20,
      maxClicksPerMinute: 120,
      minSecondsClickToConversion: 10,
      maxRefundRateBps: 3_000,
    });
  });

  it('accepts refund-rate bounds where lower is better', () => {
    const configuration: ProgramConfigurationInput = {
      commissionTiers: tiers('bronze', 'silver', 'gold'),
      performanceThresholds: [
        { tier: 'bronze', metric: 'refund_rate', periodDays: 90, promoteAt: 500 },
        { tier: 'silver', metric: 'refund_rate', periodDays: 90, promoteAt: 300, demoteAt: 800 },
        { tier: 'gold', metric: 'refund_rate', periodDays: 90, demoteAt: 600 },
      ],
    };
    expect(issuesOf(configuration)).toEqual({});
  });

  it.each(badConfigurations)('refuses $name, naming $field', ({ configuration, field, message }) => {
    const issues = issuesOf(configuration);
    expect(Object.keys(issues)).toContain(field);
    expect(issues[field]!.join(' | ')).toMatch(message);
  });
});

describe('thresholdOutcome', () => {
  const conversions: PerformanceThreshold = { tier: 'silver', metric: 'conversions', periodDays: 30, promoteAt: 20, demoteAt: 5 };
  const refunds: PerformanceThreshold = { tier: 'silver', metric: 'refund_rate', periodDays: 30, promoteAt: 300, demoteAt: 800 };

  it.each([
    { threshold: conversions, value: 25, outcome: 'promote' },
    { threshold: conversions, value: 20, outcome: 'promote' },
    { threshold: conversions, value: 19, outcome: 'stay' },
    { threshold: conversions, value: 6, outcome: 'stay' },
    { threshold: conversions, value: 5, outcome: 'demote' },
    { threshold: refunds, value: 100, outcome: 'promote' },
    { threshold: refunds, value: 300, outcome: 'promote' },
    { threshold: refunds, value: 500, outcome: 'stay' },
    { threshold: refunds, value: 800, outcome: 'demote' },
    { threshold: refunds, value: 900, outcome: 'demote' },
  ] as const)('$threshold.metric at $value → $outcome', ({ threshold, value, outcome }) => {
    expect(thresholdOutcome(threshold, value)).toBe(outcome);
  });
});
