import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { commissions } from './commissions.js';
import { createdAt, timestamptz, updatedAt } from './columns.js';
import { partners } from './partners.js';

/**
 * draft → approved (by a second admin) → submitted → completed (every payout paid or cancelled);
 * draft | approved → cancelled; submitted → cancelled when every payout ended cancelled.
 */
export const PAYOUT_BATCH_STATUSES = ['draft', 'approved', 'submitted', 'completed', 'cancelled'] as const;
export type PayoutBatchStatus = (typeof PAYOUT_BATCH_STATUSES)[number];

/**
 * pending → submitting → paid | processing | failed | unconfirmed. `failed`: the processor refused the payment
 * (nothing was paid); `unconfirmed`: it did not answer (timeout, 5xx), so the payment may or may not exist;
 * `processing`: accepted, not paid yet. A retry moves failed | unconfirmed | processing (and a stale submitting
 * left by a crash) back to submitting. pending | failed → cancelled.
 */
export const PAYOUT_STATUSES = ['pending', 'submitting', 'processing', 'paid', 'failed', 'unconfirmed', 'cancelled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const PAYOUT_SKIP_REASONS = [
  'fraud_hold',
  'compliance_hold',
  'missing_payout_details',
  'missing_tax_document',
  'below_minimum',
  'nothing_to_pay',
] as const;
export type PayoutSkipReason = (typeof PAYOUT_SKIP_REASONS)[number];

export interface PayoutBatchFilters {
  programId?: string;
  currency?: string;
  partnerIds?: string[];
}

export const payoutBatches = pgTable(
  'payout_batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    status: text('status', { enum: PAYOUT_BATCH_STATUSES }).notNull().default('draft'),
    filters: jsonb('filters').$type<PayoutBatchFilters>().notNull(),
    note: text('note'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    approvedBy: text('approved_by'),
    approvedAt: timestamptz('approved_at'),
    submittedBy: text('submitted_by'),
    submittedAt: timestamptz('submitted_at'),
    completedAt: timestamptz('completed_at'),
    cancelledBy: text('cancelled_by'),
    cancelledAt: timestamptz('cancelled_at'),
    cancelReason: text('cancel_reason'),
    updatedAt: updatedAt(),
  },
  (table) => [
    index('payout_batches_created_idx').on(table.createdAt, table.id),
    index('payout_batches_status_idx').on(table.status, table.createdAt, table.id),
    check('payout_batches_status_known', sql`${table.status} in ('draft','approved','submitted','completed','cancelled')`),
    check('payout_batches_four_eyes', sql`${table.approvedBy} is null or ${table.approvedBy} <> ${table.createdBy}`),
  ],
);

/** One partner's payment in one currency; its id is the payment's reference at the processor. */
export const payouts = pgTable(
  'payouts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    batchId: uuid('batch_id')
      .notNull()
      .references(() => payoutBatches.id),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    currency: text('currency').notNull(),
    /** Minor units: the sum of the payout's reserved ledger entries. */
    amount: bigint('amount', { mode: 'number' }).notNull(),
    status: text('status', { enum: PAYOUT_STATUSES }).notNull().default('pending'),
    /** Submissions and reconciliations so far; an outcome is recorded only for the attempt that is current. */
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAt: timestamptz('last_attempt_at'),
    processorPaymentId: text('processor_payment_id'),
    processorBatchId: text('processor_batch_id'),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    paidAt: timestamptz('paid_at'),
    cancelledAt: timestamptz('cancelled_at'),
    cancelReason: text('cancel_reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('payouts_batch_partner_currency_key').on(table.batchId, table.partnerId, table.currency),
    index('payouts_batch_status_idx').on(table.batchId, table.status),
    index('payouts_partner_idx').on(table.partnerId, table.createdAt),
    check('payouts_status_known', sql`${table.status} in ('pending','submitting','processing','paid','failed','unconfirmed','cancelled')`),
    check('payouts_currency_iso', sql`${table.currency} ~ '^[A-Z]{3}$'`),
    check('payouts_amount_positive', sql`${table.amount} > 0 or ${table.status} = 'cancelled'`),
    check('payouts_paid_at', sql`(${table.status} = 'paid') = (${table.paidAt} is not null)`),
  ],
);

/**
 * The ledger entries a payout pays. An item reserves its entry while `released_at` is null: the partial unique
 * index lets no second payout take it. Cancelling releases the items; a paid payout keeps the items it settled.
 */
export const payoutItems = pgTable(
  'payout_items',
  {
    payoutId: uuid('payout_id')
      .notNull()
      .references(() => payouts.id),
    commissionId: bigint('commission_id', { mode: 'number' })
      .notNull()
      .references(() => commissions.id),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    releasedAt: timestamptz('released_at'),
    releaseReason: text('release_reason'),
  },
  (table) => [
    primaryKey({ columns: [table.payoutId, table.commissionId] }),
    uniqueIndex('payout_items_reserved_once').on(table.commissionId).where(sql`${table.releasedAt} is null`),
    check('payout_items_release_reason', sql`(${table.releasedAt} is null) = (${table.releaseReason} is null)`),
  ],
);

/** Partners a batch left out, with every reason (a partner may have several). */
export const payoutBatchSkips = pgTable(
  'payout_batch_skips',
  {
    batchId: uuid('batch_id')
      .notNull()
      .references(() => payoutBatches.id),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    /** Null for a partner asked for by id that has no approved entry at all. */
    currency: text('currency'),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    minimum: bigint('minimum', { mode: 'number' }),
    reasons: text('reasons').array().$type<PayoutSkipReason[]>().notNull(),
  },
  (table) => [unique('payout_batch_skips_key').on(table.batchId, table.partnerId, table.currency).nullsNotDistinct()],
);
