import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { fraudFlags } from './fraud.js';
import { partners } from './partners.js';
import { programs } from './programs.js';
import { referralEvents } from './referrals.js';

/**
 * earning: the attributed partner's commission on a sale (level 0); override: an upline's share (level ≥ 1);
 * reversal: a negative entry that claws back (part of) one earning or override; payout: money paid out (negative);
 * adjustment: a manual correction.
 */
export const COMMISSION_KINDS = ['earning', 'override', 'reversal', 'payout', 'adjustment'] as const;
export type CommissionKind = (typeof COMMISSION_KINDS)[number];

/**
 * pending → approved → paid; pending|approved → reversed when fully clawed back before payment;
 * forfeited: a zero-amount entry recording what was not earned and why. Only these moves pass the trigger.
 */
export const COMMISSION_STATUSES = ['pending', 'approved', 'paid', 'reversed', 'forfeited'] as const;
export type CommissionStatus = (typeof COMMISSION_STATUSES)[number];

/**
 * The commissions ledger: one immutable entry per money movement, in integer minor units. A partner's balance is
 * the sum of their entries. A trigger (migration `commissions_ledger_guard`) refuses DELETE, TRUNCATE and any
 * UPDATE other than a status move along the machine above (plus the payout reference when it becomes paid).
 */
export const commissions = pgTable(
  'commissions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    kind: text('kind', { enum: COMMISSION_KINDS }).notNull(),
    status: text('status', { enum: COMMISSION_STATUSES }).notNull(),
    level: integer('level'),
    amount: bigint('amount', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    /** The sale an earning, override or reversal stems from. */
    eventId: bigint('event_id', { mode: 'number' }).references(() => referralEvents.id),
    /** The refund that caused a reversal. */
    refundEventId: bigint('refund_event_id', { mode: 'number' }).references(() => referralEvents.id),
    /** The fraud flag whose confirmation caused a reversal. */
    fraudFlagId: uuid('fraud_flag_id').references(() => fraudFlags.id),
    reversesId: bigint('reverses_id', { mode: 'number' }).references((): any => commissions.id),
    programId: uuid('program_id').references(() => programs.id),
    programVersion: integer('program_version'),
    tier: text('tier'),
    rateType: text('rate_type', { enum: ['percentage', 'flat'] }),
    rateValue: integer('rate_value'),
    /** For a forfeited entry: what it would have paid. */
    forgoneAmount: bigint('forgone_amount', { mode: 'number' }),
    reason: text('reason'),
    holdUntil: timestamptz('hold_until'),
    payoutId: uuid('payout_id'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    statusChangedAt: timestamptz('status_changed_at'),
  },
  (table) => [
    index('commissions_partner_idx').on(table.partnerId, table.currency, table.status),
    index('commissions_partner_list_idx').on(table.partnerId, table.id),
    index('commissions_status_idx').on(table.status, table.id),
    index('commissions_kind_idx').on(table.kind, table.id),
    index('commissions_currency_idx').on(table.currency, table.id),
    index('commissions_created_idx').on(table.createdAt, table.id),
    index('commissions_due_idx').on(table.holdUntil).where(sql`${table.status} = 'pending'`),
    index('commissions_event_idx').on(table.eventId),
    index('commissions_reverses_idx').on(table.reversesId).where(sql`${table.reversesId} is not null`),
    index('commissions_payout_idx').on(table.payoutId).where(sql`${table.payoutId} is not null`),
    uniqueIndex('commissions_one_credit_per_level').on(table.eventId, table.level).where(sql`${table.kind} in ('earning','override')`),
    uniqueIndex('commissions_one_refund_reversal').on(table.refundEventId, table.reversesId).where(sql`${table.refundEventId} is not null`),
    uniqueIndex('commissions_one_fraud_reversal').on(table.fraudFlagId, table.reversesId).where(sql`${table.fraudFlagId} is not null`),
    check('commissions_kind_known', sql`${table.kind} in ('earning','override','reversal','payout','adjustment')`),
    check('commissions_status_known', sql`${table.status} in ('pending','approved','paid','reversed','forfeited')`),
    check('commissions_currency_iso', sql`${table.currency} ~ '^[A-Z]{3}$'`),
    check(
      'commissions_amount_sign',
      sql`case ${table.kind}
        when 'earning' then ${table.amount} >= 0
        when 'override' then ${table.amount} >= 0
        when 'reversal' then ${table.amount} < 0
        when 'payout' then ${table.amount} < 0
        else true end`,
    ),
    check('commissions_forfeited_is_zero', sql`(${table.status} = 'forfeited') = (${table.amount} = 0)`),
    check('commissions_reversal_names_entry', sql`(${table.kind} = 'reversal') = (${table.reversesId} is not null)`),
    check('commissions_payout_is_paid', sql`${table.kind} <> 'payout' or (${table.status} = 'paid' and ${table.payoutId} is not null)`),
    check(
      'commissions_levels',
      sql`case ${table.kind}
        when 'earning' then ${table.level} = 0
        when 'override' then ${table.level} >= 1
        when 'reversal' then ${table.level} >= 0
        else ${table.level} is null end`,
    ),
  ],
);
