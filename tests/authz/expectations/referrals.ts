import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

/**
 * Money: every staff role reads referrals and commissions (a partner manager all partners', as the role table
 * says "read … referrals, commissions" without narrowing to the partners they manage). Ingestion takes an API key
 * only: no token passes (anonymous 401, every role 403).
 */
export const referrals: Expectations = {
  'referrals.ingest': { allowed: [] },
  'referrals.list': { allowed: [...staff] },
  'commissions.list': { allowed: [...staff] },
  'commissions.balance': { allowed: [...staff] },
  'commissions.approve': { allowed: ['affiliate_admin'] },
  'fraud.flags': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'fraud.review': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'apiKeys.create': { allowed: ['affiliate_admin'] },
  // The compliance officer reads everything, keys included (never their secrets).
  'apiKeys.list': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'apiKeys.revoke': { allowed: ['affiliate_admin'] },
};
