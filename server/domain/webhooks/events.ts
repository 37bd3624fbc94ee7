import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { WebhookEventType } from '../../../db/schema/webhooks.js';

export interface WebhookEvent {
  type: WebhookEventType;
  /** JSON-serializable facts of the event (ids, statuses, amounts in minor units); receivers load more if they need. */
  payload: Record<string, unknown>;
}

/**
 * Writes one delivery per subscribed, active endpoint for each event, in the caller's transaction (the webhook
 * outbox): the event is sent only if the transaction commits. One INSERT … SELECT for all events. The body is fixed
 * here, so every attempt sends (and signs) the same bytes: `{ id, type, createdAt, data }`.
 */
export async function emitEvents(tx: Executor, events: readonly WebhookEvent[]): Promise<{ deliveries: number }> {
  if (events.length === 0) return { deliveries: 0 };
  const createdAt = new Date().toISOString();
  const rows = events.map((event) => {
    const id = randomUUID();
    return { id, type: event.type, body: JSON.stringify({ id, type: event.type, createdAt, data: event.payload }) };
  });
  // Endpoints are few, so `= any(events)` over them needs no index.
  const result = await tx.execute(sql`
    insert into webhook_deliveries (endpoint_id, event_id, event_type, body)
    select e.id, ev.id, ev.type, ev.body
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as ev(id uuid, type text, body text)
    join webhook_endpoints e on e.status = 'active' and e.deleted_at is null and ev.type = any(e.events)
    on conflict (endpoint_id, event_id) do nothing`);
  return { deliveries: result.rowCount ?? 0 };
}

/** @example await emitEvent(tx, { type: 'partner.suspended', payload: { partnerId, reasonCode } }); */
export function emitEvent(tx: Executor, event: WebhookEvent): Promise<{ deliveries: number }> {
  return emitEvents(tx, [event]);
}
