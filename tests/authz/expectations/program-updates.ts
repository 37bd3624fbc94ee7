import type { Expectations } from './types.js';

export const programUpdateExpectations: Expectations = {
  'programs.publishUpdate': { allowed: ['affiliate_admin', 'program_manager'] },
  // Recorded on the partner's behalf; a partner manager only for partners they manage.
  'programs.acknowledgeUpdate': { allowed: ['affiliate_admin', 'partner_manager'] },
  'programs.updateStatus': { allowed: ['affiliate_admin', 'program_manager', 'compliance_officer'] },
};
