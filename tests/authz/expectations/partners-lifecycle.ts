import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

/**
 * Who passes the role check of each partners procedure. Where a partner manager is listed, the partner's own
 * managerId decides next, and a compliance officer's suspension must give reason compliance
 * (tests/partners-authz.test.ts proves both sides).
 */
export const partnersLifecycleExpectations: Expectations = {
  'partners.list': { allowed: [...staff] },
  'partners.get': { allowed: [...staff] },
  'partners.history': { allowed: [...staff] },
  'partners.onboarding': { allowed: [...staff] },
  'partners.update': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.submitApplication': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.verify': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.enroll': { allowed: ['affiliate_admin', 'program_manager'] },
  'partners.changeTier': { allowed: ['affiliate_admin', 'program_manager'] },
  'partners.completeSetup': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.completeTraining': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.activate': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.suspend': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'partners.reactivate': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.terminate': { allowed: ['affiliate_admin'] },
  'partners.contacts': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'partners.addContact': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.updateContact': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.removeContact': { allowed: ['affiliate_admin', 'partner_manager'] },
  'partners.exportData': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'partners.erase': { allowed: ['affiliate_admin', 'compliance_officer'] },
};
