import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { webhookDeliveries } from '../../../db/schema/webhooks.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { afterCursorRow } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import type { ListDeliveriesInput } from './schemas.js';

/** The delivery log, newest first: what was sent where, how often it was tried and what the receiver answered. */
export async function listWebhookDeliveries(db: Executor, ability: AppAbility, input: ListDeliveriesInput) {
  const filters: (SQL | undefined)[] = [
    accessibleWhere(ability, 'manage', 'Webhook', {}),
    input.endpointId ? eq(webhookDeliveries.endpointId, input.endpointId) : undefined,
    input.state ? eq(webhookDeliveries.state, input.state) : undefined,
    input.eventType ? eq(webhookDeliveries.eventType, input.eventType) : undefined,
    input.cursor ? afterCursorRow(webhookDeliveries, webhookDeliveries.id, [webhookDeliveries.createdAt, webhookDeliveries.id], 'desc', input.cursor) : undefined,
  ];
  const rows = await db
    .select({
      id: webhookDeliveries.id,
      endpointId: webhookDeliveries.endpointId,
      eventId: webhookDeliveries.eventId,
      eventType: webhookDeliveries.eventType,
      body: webhookDeliveries.body,
      state: webhookDeliveries.state,
      attempts: webhookDeliveries.attempts,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      lastStatusCode: webhookDeliveries.lastStatusCode,
      lastError: webhookDeliveries.lastError,
      createdAt: webhookDeliveries.createdAt,
      deliveredAt: webhookDeliveries.deliveredAt,
    })
    .from(webhookDeliveries)
    .where(and(...filters))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}
