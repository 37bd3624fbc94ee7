import { allowPrivateWebhookTargets, type Config } from '../server/config.js';
import { MAX_RETRY_SECONDS } from '../server/domain/communications/retry.js';
import { deliverDueWebhooks } from '../server/domain/webhooks/delivery.js';
import { createWebhookPoster } from '../server/domain/webhooks/http.js';
import type { JobDefinition } from './types.js';

/** Sends due webhook deliveries, signed, with retries; disables endpoints that keep failing. */
export function webhookDeliveryJob(config: Config): JobDefinition {
  const post = createWebhookPoster({ allowPrivateTargets: allowPrivateWebhookTargets(config) });
  const options = {
    retry: { maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, baseSeconds: config.DELIVERY_RETRY_BASE_SECONDS, maxSeconds: MAX_RETRY_SECONDS },
    disableAfterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES,
  };
  return {
    name: 'webhook-delivery',
    every: config.WEBHOOK_DELIVERY_EVERY,
    run: ({ db, now }) => deliverDueWebhooks(db, post, options, now),
  };
}
