/**
 * The notifications API other areas use. Write notifications inside your mutation's transaction:
 *
 *   import { enqueueNotifications } from '../notifications/index.js';
 *   await enqueueNotifications(tx, {
 *     kind: 'partner_suspended',
 *     recipients: [{ partnerId, dedupeKey: `status-history:${historyId}`, variables: { reasonCode, note } }],
 *   });
 *
 * The kind decides the template, the channels and whether the partner's opt-outs apply (see kinds.ts); the
 * variables are type-checked per kind. The delivery job sends the email after your transaction commits.
 */
export { enqueueNotifications, type EnqueueNotificationsInput, type EnqueueResult, type NotificationRecipient } from './enqueue.js';
export { notificationKinds, ESSENTIAL_KINDS, BROADCAST_KINDS, type NotificationVariables } from './kinds.js';
export { NOTIFICATION_KINDS, type NotificationKind, type NotificationChannel } from '../../../db/schema/notifications.js';
