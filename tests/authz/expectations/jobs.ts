import type { Expectations } from './types.js';

export const jobExpectations: Expectations = {
  'jobs.list': { allowed: ['affiliate_admin'] },
  'jobs.runNow': { allowed: ['affiliate_admin'] },
};
