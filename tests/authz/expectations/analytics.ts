import type { Expectations } from './types.js';

/**
 * Analytics: every staff role may call the dashboards; a partner manager's figures cover only the partners they
 * manage (another partner's performance is FORBIDDEN, aggregates are narrowed — see tests/analytics-api.test.ts).
 */
const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const analytics: Expectations = {
  'analytics.partnerPerformance': { allowed: [...staff] },
  'analytics.programHealth': { allowed: [...staff] },
  'analytics.referralPerformance': { allowed: [...staff] },
  'analytics.accountGrowth': { allowed: [...staff] },
};
