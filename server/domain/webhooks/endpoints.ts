import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { webhookDeliveries, webhookEndpoints } from '../../../db/schema/webhooks.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { afterCursorRow } from '../shared/keyset.js';
import { communicationSettings } from '../communications/settings.js';
import { toPage } from '../shared/pagination.js';
import type { CreateWebhookInput, ListWebhooksInput } from './schemas.js';
import { checkWebhookUrl } from './targets.js';

/** Everything about an endpoint but its secret, which is shown once, at creation. */
const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  status: webhookEndpoints.status,
  consecutiveFailures: webhookEndpoints.consecutiveFailures,
  lastSuccessAt: webhookEndpoints.lastSuccessAt,
  lastFailureAt: webhookEndpoints.lastFailureAt,
  disabledAt: webhookEndpoints.disabledAt,
  createdBy: webhookEndpoints.createdBy,
  createdAt: webhookEndpoints.createdAt,
};

export async function createWebhook(db: Database, actor: Actor, input: CreateWebhookInput) {
  const url = await checkWebhookUrl(input.url, communicationSettings().allowPrivateWebhookTargets);
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .insert(webhookEndpoints)
      .values({ url, events: input.events, description: input.description ?? null, secret, createdBy: actor.userId })
      .returning(endpointColumns);
    if (!endpoint) throw new Error('insert returned no row');
    await recordActivity(tx, actor, {
      action: 'webhook.create',
      entityType: 'webhook_endpoint',
      entityId: endpoint.id,
      after: { url, events: input.events, description: endpoint.description },
    });
    return { ...endpoint, secret };
  });
}

export async function listWebhooks(db: Executor, ability: AppAbility, input: ListWebhooksInput) {
  const filters: (SQL | undefined)[] = [
    accessibleWhere(ability, 'manage', 'Webhook', { createdBy: webhookEndpoints.createdBy }),
    isNull(webhookEndpoints.deletedAt),
    input.status ? eq(webhookEndpoints.status, input.status) : undefined,
    input.cursor ? afterCursorRow(webhookEndpoints, webhookEndpoints.id, [webhookEndpoints.createdAt, webhookEndpoints.id], 'desc', input.cursor) : undefined,
  ];
  const rows = await db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(and(...filters))
    .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** Removes an endpoint: nothing more is sent to it; its undelivered events are given up, its log is kept. */
export async function deleteWebhook(db: Database, actor: Actor, id: string) {
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ id: webhookEndpoints.id, url: webhookEndpoints.url })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
      .for('update');
    if (!endpoint) throw notFound('Webhook endpoint', id);
    await tx.update(webhookEndpoints).set({ deletedAt: sql`now()` }).where(eq(webhookEndpoints.id, id));
    const abandoned = await tx
      .update(webhookDeliveries)
      .set({ state: 'dead', lastError: 'endpoint deleted' })
      .where(and(eq(webhookDeliveries.endpointId, id), inArray(webhookDeliveries.state, ['pending', 'failed'])))
      .returning({ id: webhookDeliveries.id });
    await recordActivity(tx, actor, {
      action: 'webhook.delete',
      entityType: 'webhook_endpoint',
      entityId: id,
      before: { url: endpoint.url },
      after: { deleted: true, abandonedDeliveries: abandoned.length },
    });
    return { id, deleted: true, abandonedDeliveries: abandoned.length };
  });
}

/**
 * Turns a disabled endpoint back on (after its owner fixed the receiver): failures counted from zero, and the
 * deliveries held while it was off (still pending or failed, not dead) go out on the next delivery run, oldest first.
 * Enabling an active endpoint is a CONFLICT naming both statuses.
 */
export async function enableWebhook(db: Database, actor: Actor, id: string) {
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ status: webhookEndpoints.status, consecutiveFailures: webhookEndpoints.consecutiveFailures, disabledAt: webhookEndpoints.disabledAt })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
      .for('update');
    if (!endpoint) throw notFound('Webhook endpoint', id);
    if (endpoint.status !== 'disabled') throw illegalTransition(`Webhook endpoint ${id}`, endpoint.status, 'active');
    const [enabled] = await tx
      .update(webhookEndpoints)
      .set({ status: 'active', consecutiveFailures: 0, disabledAt: null })
      .where(eq(webhookEndpoints.id, id))
      .returning(endpointColumns);
    const [held] = await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, id), inArray(webhookDeliveries.state, ['pending', 'failed'])));
    await recordActivity(tx, actor, {
      action: 'webhook.enable',
      entityType: 'webhook_endpoint',
      entityId: id,
      before: { status: endpoint.status, consecutiveFailures: endpoint.consecutiveFailures, disabledAt: endpoint.disabledAt },
      after: { status: 'active', consecutiveFailures: 0, disabledAt: null, heldDeliveries: held!.count },
    });
    return { ...enabled!, heldDeliveries: held!.count };
  });
}
