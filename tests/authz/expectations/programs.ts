import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const programExpectations: Expectations = {
  'programs.create': { allowed: ['affiliate_admin', 'program_manager'] },
  'programs.list': { allowed: [...staff] },
  'programs.get': { allowed: [...staff] },
  'programs.versions': { allowed: [...staff] },
  'programs.updateConfiguration': { allowed: ['affiliate_admin', 'program_manager'] },
  'programs.archive': { allowed: ['affiliate_admin', 'program_manager'] },
};
