import type { Expectations } from './types.js';

const staff = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;

export const expectations: Expectations = {
  'system.ping': { allowed: ['anonymous', ...staff] },
  'users.me': { allowed: [...staff] },
  // Every role may read at least its own user row; the list itself narrows to what each may see.
  'users.list': { allowed: [...staff] },
  'users.create': { allowed: ['affiliate_admin'] },
  'users.update': { allowed: ['affiliate_admin'] },
  'audit.list': { allowed: ['affiliate_admin', 'compliance_officer'] },
  'audit.verify': { allowed: ['affiliate_admin', 'compliance_officer'] },
};
