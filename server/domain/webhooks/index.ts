/**
 * Webhooks for internal tools. Other areas call `emitEvent(tx, { type, payload })` inside their transaction;
 * receivers verify deliveries with `verifyWebhookSignature` (see docs/communications.md).
 */
export { emitEvent, emitEvents, type WebhookEvent } from './events.js';
export { verifyWebhookSignature, signWebhookBody, SIGNATURE_HEADER, DEFAULT_TOLERANCE_SECONDS } from './signature.js';
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../db/schema/webhooks.js';
