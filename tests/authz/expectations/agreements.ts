import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const agreementExpectations: Expectations = {
  'agreements.publish': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'agreements.current': { allowed: [...staff] },
  'agreements.versions': { allowed: [...staff] },
  // Recorded on a partner's behalf: a partner manager may, for the partners they manage (checked on the row).
  'agreements.recordAcceptance': { allowed: ['affiliate_admin', 'partner_manager'] },
  'agreements.status': { allowed: [...staff] },
};
