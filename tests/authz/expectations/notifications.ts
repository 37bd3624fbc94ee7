import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const notificationExpectations: Expectations = {
  'notifications.preview': { allowed: [...staff] },
  'notifications.list': { allowed: [...staff] },
  'notifications.markRead': { allowed: ['affiliate_admin', 'partner_manager'] },
  'notifications.preferences': { allowed: [...staff] },
  // A partner manager only for partners they manage (checked on the row).
  'notifications.setPreferences': { allowed: ['affiliate_admin', 'partner_manager'] },
};
