import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const accountsExpectations: Expectations = {
  'accounts.create': { allowed: ['affiliate_admin', 'partner_manager'] },
  'accounts.get': { allowed: [...staff] },
  'accounts.list': { allowed: [...staff] },
  'accounts.setParent': { allowed: ['affiliate_admin', 'partner_manager'] },
  'accounts.children': { allowed: [...staff] },
  'accounts.referralHistory': { allowed: [...staff] },
};
