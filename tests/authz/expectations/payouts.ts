import type { Expectations } from './types.js';

/**
 * Payout batches are finance operations: Affiliate Admins run them, Compliance Officers read them. Partner and
 * Program Managers are refused: a batch shows every partner's payout, and a manager sees what their partners were
 * paid in the commissions ledger (entries marked paid, with the payout id) instead.
 */
export const payoutsExpectations: Expectations = {
  'payouts.list': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'payouts.get': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'payouts.createBatch': { allowed: ['affiliate_admin'] },
  'payouts.approve': { allowed: ['affiliate_admin'] },
  'payouts.submit': { allowed: ['affiliate_admin'] },
  'payouts.retry': { allowed: ['affiliate_admin'] },
  'payouts.cancel': { allowed: ['affiliate_admin'] },
};
