import { sql } from 'drizzle-orm';
import { bigint, check, index, inet, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { apiKeys } from './api-keys.js';
import { createdAt, timestamptz } from './columns.js';
import { accounts, partners } from './partners.js';
import { programs } from './programs.js';

export const REFERRAL_KINDS = ['click', 'lead', 'sale', 'refund'] as const;
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

/** attributed: earns for `partner_id`; ineligible: has a partner but earns nothing (see reason); unattributed: no partner. */
export const ATTRIBUTION_STATUSES = ['attributed', 'ineligible', 'unattributed'] as const;
export type AttributionStatus = (typeof ATTRIBUTION_STATUSES)[number];

export const ATTRIBUTION_METHODS = ['referral_link', 'click_id', 'declared', 'last_click', 'account_referrer', 'refund_of'] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

/**
 * Clicks, leads, sales and refunds as services report them. `external_id` makes ingestion idempotent. The
 * attribution columns are filled in the ingesting transaction and never change afterwards.
 */
export const referralEvents = pgTable(
  'referral_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    externalId: text('external_id').notNull(),
    kind: text('kind', { enum: REFERRAL_KINDS }).notNull(),
    /** The referral code or partner id the event named, as sent. */
    partnerRef: text('partner_ref'),
    declaredPartnerId: uuid('declared_partner_id').references(() => partners.id),
    accountId: uuid('account_id').references(() => accounts.id),
    amount: bigint('amount', { mode: 'number' }),
    currency: text('currency'),
    occurredAt: timestamptz('occurred_at').notNull(),
    ip: inet('ip'),
    userAgent: text('user_agent'),
    /** The explicit visitor id, or a hash of IP and user agent; clicks and conversions meet on it. */
    visitorKey: text('visitor_key'),
    clickExternalId: text('click_external_id'),
    refundOfExternalId: text('refund_of_external_id'),
    refundOfId: bigint('refund_of_id', { mode: 'number' }).references((): any => referralEvents.id),
    partnerId: uuid('partner_id').references(() => partners.id),
    programId: uuid('program_id').references(() => programs.id),
    programVersion: integer('program_version'),
    attributionStatus: text('attribution_status', { enum: ATTRIBUTION_STATUSES }).notNull(),
    attributionMethod: text('attribution_method', { enum: ATTRIBUTION_METHODS }),
    attributionReason: text('attribution_reason'),
    attributedClickId: bigint('attributed_click_id', { mode: 'number' }).references((): any => referralEvents.id),
    apiKeyId: uuid('api_key_id').references(() => apiKeys.id),
    ingestedAt: createdAt(),
  },
  (table) => [
    uniqueIndex('referral_events_external_id_key').on(table.externalId),
    index('referral_events_occurred_idx').on(table.occurredAt, table.id),
    index('referral_events_partner_idx').on(table.partnerId, table.kind, table.occurredAt, table.id),
    index('referral_events_kind_idx').on(table.kind, table.occurredAt, table.id),
    index('referral_events_status_idx').on(table.attributionStatus, table.occurredAt, table.id),
    // A conversion's last click is the first entry of a backward scan, however many clicks the visitor has made.
    index('referral_events_visitor_last_click_idx')
      .on(table.visitorKey, table.occurredAt, table.id)
      .where(sql`${table.kind} = 'click' and ${table.partnerId} is not null`),
    index('referral_events_ip_leads_idx').on(table.ip, table.occurredAt).where(sql`${table.kind} = 'lead'`),
    index('referral_events_refund_of_idx').on(table.refundOfId).where(sql`${table.refundOfId} is not null`),
    index('referral_events_account_idx').on(table.accountId).where(sql`${table.accountId} is not null`),
    check('referral_events_kind_known', sql`${table.kind} in ('click','lead','sale','refund')`),
    check('referral_events_status_known', sql`${table.attributionStatus} in ('attributed','ineligible','unattributed')`),
    check(
      'referral_events_money',
      sql`(${table.kind} in ('sale','refund')) = (${table.amount} is not null and ${table.currency} is not null)
        and (${table.amount} is null or ${table.amount} > 0)
        and (${table.currency} is null or ${table.currency} ~ '^[A-Z]{3}$')`,
    ),
    check('referral_events_refund_names_sale', sql`(${table.kind} = 'refund') = (${table.refundOfExternalId} is not null)`),
  ],
);

/**
 * Attributed events whose effects (ledger, fraud rules, rollups, webhooks) are still to be applied: one row per
 * ingesting call, deleted in the transaction that applies them (`server/domain/referrals/effects.ts`). The actor is
 * the ingesting caller's, recorded on the commissions, holds and audit rows the effects write.
 */
export const referralEffectsQueue = pgTable('referral_effects_queue', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  eventIds: bigint('event_ids', { mode: 'number' }).array().notNull(),
  actorId: text('actor_id').notNull(),
  requestId: text('request_id'),
  createdAt: createdAt(),
});
