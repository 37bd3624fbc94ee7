import { resolve } from 'node:path';
import type { Config } from '../server/config.js';
import { MAX_RETRY_SECONDS } from '../server/domain/communications/retry.js';
import { deliverDueNotifications } from '../server/domain/notifications/delivery.js';
import { createEmailSender } from '../server/domain/notifications/email.js';
import type { JobDefinition } from './types.js';

type DeliveryConfig = Pick<
  Config,
  'SMTP_URL' | 'SMTP_FROM' | 'DATA_DIR' | 'NOTIFICATION_DELIVERY_EVERY' | 'NOTIFICATION_MAX_ATTEMPTS' | 'DELIVERY_RETRY_BASE_SECONDS'
>;

/** Sends due emails from the notifications outbox (SMTP_URL, or .eml files under DATA_DIR/outbox without it). */
export function notificationDeliveryJob(config: DeliveryConfig, log: { info(obj: object, msg: string): void }): JobDefinition {
  const send = createEmailSender({
    smtpUrl: config.SMTP_URL,
    from: config.SMTP_FROM,
    outboxDir: resolve(config.DATA_DIR, 'outbox'),
    log,
  });
  const retry = { maxAttempts: config.NOTIFICATION_MAX_ATTEMPTS, baseSeconds: config.DELIVERY_RETRY_BASE_SECONDS, maxSeconds: MAX_RETRY_SECONDS };
  return {
    name: 'notification-delivery',
    every: config.NOTIFICATION_DELIVERY_EVERY,
    run: ({ db, now }) => deliverDueNotifications(db, send, { retry }, now),
  };
}
