import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { partners } from './partners.js';
import { programs } from './programs.js';
import { referralEvents } from './referrals.js';

export const FRAUD_RULES = [
  'self_referral',
  'lead_ip_velocity',
  'click_velocity',
  'fast_conversion',
  'refund_rate',
  'shared_payout_fingerprint',
] as const;
export type FraudRule = (typeof FRAUD_RULES)[number];

export const FRAUD_FLAG_STATUSES = ['open', 'confirmed', 'dismissed'] as const;
export type FraudFlagStatus = (typeof FRAUD_FLAG_STATUSES)[number];

/**
 * A fraud rule's hit against a partner. While open it holds the partner's pending commissions and those of the
 * linked events. `dedupe_key` keeps one open flag per rule and subject: later hits link their events to it.
 */
export const fraudFlags = pgTable(
  'fraud_flags',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    programId: uuid('program_id').references(() => programs.id),
    rule: text('rule', { enum: FRAUD_RULES }).notNull(),
    status: text('status', { enum: FRAUD_FLAG_STATUSES }).notNull().default('open'),
    dedupeKey: text('dedupe_key').notNull(),
    evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamptz('reviewed_at'),
    reviewNote: text('review_note'),
  },
  (table) => [
    uniqueIndex('fraud_flags_open_dedupe_key').on(table.dedupeKey).where(sql`${table.status} = 'open'`),
    index('fraud_flags_open_partner_idx').on(table.partnerId).where(sql`${table.status} = 'open'`),
    index('fraud_flags_created_idx').on(table.createdAt, table.id),
    index('fraud_flags_partner_idx').on(table.partnerId, table.createdAt, table.id),
    index('fraud_flags_status_idx').on(table.status, table.createdAt, table.id),
    index('fraud_flags_rule_idx').on(table.rule, table.createdAt, table.id),
    check(
      'fraud_flags_rule_known',
      sql`${table.rule} in ('self_referral','lead_ip_velocity','click_velocity','fast_conversion','refund_rate','shared_payout_fingerprint')`,
    ),
    check('fraud_flags_status_known', sql`${table.status} in ('open','confirmed','dismissed')`),
    check('fraud_flags_reviewed', sql`(${table.status} = 'open') = (${table.reviewedAt} is null)`),
  ],
);

/** The events a flag is about: their commissions (all levels) are held while the flag is open. */
export const fraudFlagEvents = pgTable(
  'fraud_flag_events',
  {
    flagId: uuid('flag_id')
      .notNull()
      .references(() => fraudFlags.id),
    eventId: bigint('event_id', { mode: 'number' })
      .notNull()
      .references(() => referralEvents.id),
  },
  (table) => [primaryKey({ columns: [table.flagId, table.eventId] }), index('fraud_flag_events_event_idx').on(table.eventId)],
);
