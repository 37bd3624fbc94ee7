import type { Expectations } from './types.js';

export const complianceExpectations: Expectations = {
  // A partner manager submits for the partners they manage (checked on the row).
  'compliance.submitDocument': { allowed: ['affiliate_admin', 'partner_manager'] },
  'compliance.reviewDocument': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'compliance.documents': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'compliance.holds': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'compliance.placeHold': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'compliance.releaseHold': { allowed: ['affiliate_admin', 'compliance_officer'] },
};
