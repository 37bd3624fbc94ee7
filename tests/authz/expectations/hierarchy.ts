import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const hierarchyExpectations: Expectations = {
  // A Partner Manager passes the role check; the partner's own managerId decides (tests/hierarchy-api.test.ts).
  'partners.setParent': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.upline': { allowed: [...staff] },
  'partners.downline': { allowed: [...staff] },
  'partners.assignManager': { allowed: ['affiliate_admin'] },
  'partners.linkAccount': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.unlinkAccount': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.accounts': { allowed: [...staff] },
};
