import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATES, WEBHOOK_EVENT_TYPES } from '../../../db/schema/webhooks.js';
import { pageInput } from '../shared/pagination.js';

export const createWebhookInput = z.object({
  url: z.string().trim().min(1).max(2000),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .refine((events) => new Set(events).size === events.length, 'each event at most once'),
  description: z.string().trim().min(1).max(500).optional(),
});

export const webhookIdInput = z.object({ id: z.uuid() });

export const listWebhooksInput = pageInput.extend({ status: z.enum(['active', 'disabled']).optional() });

export const listDeliveriesInput = pageInput.extend({
  endpointId: z.uuid().optional(),
  state: z.enum(WEBHOOK_DELIVERY_STATES).optional(),
  eventType: z.enum(WEBHOOK_EVENT_TYPES).optional(),
});

export type CreateWebhookInput = z.infer<typeof createWebhookInput>;
export type ListWebhooksInput = z.infer<typeof listWebhooksInput>;
export type ListDeliveriesInput = z.infer<typeof listDeliveriesInput>;
