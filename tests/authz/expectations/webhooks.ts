import type { Expectations } from './types.js';

export const webhookExpectations: Expectations = {
  'webhooks.create': { allowed: ['affiliate_admin'] },
  'webhooks.list': { allowed: ['affiliate_admin'] },
  'webhooks.enable': { allowed: ['affiliate_admin'] },
  'webhooks.delete': { allowed: ['affiliate_admin'] },
  'webhooks.deliveries': { allowed: ['affiliate_admin'] },
};
