import type { Expectations } from './types.js';

export const communicationExpectations: Expectations = {
  // A partner manager reaches only the partners they manage (narrowed in SQL).
  'communications.notifyPartners': { allowed: ['affiliate_admin', 'partner_manager', 'program_manager'] },
};
