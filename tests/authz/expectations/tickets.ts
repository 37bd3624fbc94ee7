import type { Expectations } from './types.js';

export const ticketExpectations: Expectations = {
  'tickets.create': { allowed: ['affiliate_admin', 'partner_manager'] },
  'tickets.list': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'tickets.get': { allowed: ['affiliate_admin', 'partner_manager', 'compliance_officer'] },
  'tickets.assign': { allowed: ['affiliate_admin', 'partner_manager'] },
  'tickets.reply': { allowed: ['affiliate_admin', 'partner_manager'] },
  'tickets.resolve': { allowed: ['affiliate_admin', 'partner_manager'] },
};
