import { listWebhookDeliveries } from '../domain/webhooks/deliveries.js';
import { createWebhook, deleteWebhook, enableWebhook, listWebhooks } from '../domain/webhooks/endpoints.js';
import { createWebhookInput, listDeliveriesInput, listWebhooksInput, webhookIdInput } from '../domain/webhooks/schemas.js';
import { procedureFor, router } from '../trpc.js';

/** Affiliate Admin only: `manage` Webhook is granted by no other role. */
export const webhooksRouter = router({
  /** Returns the signing secret once; it is never shown again. */
  create: procedureFor('manage', 'Webhook')
    .input(createWebhookInput)
    .mutation(({ ctx, input }) => createWebhook(ctx.db, ctx.actor, input)),
  list: procedureFor('manage', 'Webhook')
    .input(listWebhooksInput)
    .query(({ ctx, input }) => listWebhooks(ctx.db, ctx.ability, input)),
  /** Turns a disabled endpoint back on; the deliveries held meanwhile go out on the next delivery run. */
  enable: procedureFor('manage', 'Webhook')
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => enableWebhook(ctx.db, ctx.actor, input.id)),
  delete: procedureFor('manage', 'Webhook')
    .input(webhookIdInput)
    .mutation(({ ctx, input }) => deleteWebhook(ctx.db, ctx.actor, input.id)),
  deliveries: procedureFor('manage', 'Webhook')
    .input(listDeliveriesInput)
    .query(({ ctx, input }) => listWebhookDeliveries(ctx.db, ctx.ability, input)),
});
