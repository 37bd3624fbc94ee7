import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';

export const WEBHOOK_EVENT_TYPES = [
  'partner.applied',
  'partner.activated',
  'partner.suspended',
  'partner.reactivated',
  'partner.terminated',
  'partner.tier_changed',
  'agreement.accepted',
  'commission.created',
  'commission.reversed',
  'payout.paid',
  'payout.failed',
  'fraud_flag.raised',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_ENDPOINT_STATUSES = ['active', 'disabled'] as const;
export const WEBHOOK_DELIVERY_STATES = ['pending', 'sent', 'failed', 'dead'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

/**
 * An internal tool's subscription. The secret signs every delivery, so it is kept (not hashed); it is shown once,
 * when the endpoint is created, and never returned again.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    url: text('url').notNull(),
    description: text('description'),
    events: text('events').array().$type<WebhookEventType[]>().notNull(),
    secret: text('secret').notNull(),
    status: text('status', { enum: WEBHOOK_ENDPOINT_STATUSES }).notNull().default('active'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    lastSuccessAt: timestamptz('last_success_at'),
    lastFailureAt: timestamptz('last_failure_at'),
    disabledAt: timestamptz('disabled_at'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    deletedAt: timestamptz('deleted_at'),
  },
  (table) => [
    index('webhook_endpoints_created_idx').on(table.createdAt, table.id).where(sql`${table.deletedAt} is null`),
    check('webhook_endpoints_status_known', sql`${table.status} in ('active', 'disabled')`),
    check('webhook_endpoints_has_events', sql`cardinality(${table.events}) > 0`),
  ],
);

/** The webhook outbox: one row per (event, subscribed endpoint), with the exact body that is signed and sent. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    body: text('body').notNull(),
    state: text('state', { enum: WEBHOOK_DELIVERY_STATES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: timestamptz('delivered_at'),
  },
  (table) => [
    unique('webhook_deliveries_once').on(table.endpointId, table.eventId),
    index('webhook_deliveries_due_idx').on(table.nextAttemptAt).where(sql`${table.state} in ('pending', 'failed')`),
    index('webhook_deliveries_endpoint_idx').on(table.endpointId, table.createdAt, table.id),
    index('webhook_deliveries_state_idx').on(table.state, table.createdAt, table.id),
    index('webhook_deliveries_event_type_idx').on(table.eventType, table.createdAt, table.id),
    check('webhook_deliveries_state_known', sql`${table.state} in ('pending', 'sent', 'failed', 'dead')`),
  ],
);
