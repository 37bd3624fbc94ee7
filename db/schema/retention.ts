import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';
import { partners } from './partners.js';
import { programs } from './programs.js';

/**
 * Partners the retention job found inactive: one row while an active partner has shown no activity for the
 * program's `inactivityDays` (at risk), with `churnedSince` once the inactivity reaches `churnDays`. The row goes
 * when the partner is active again, leaves the program or stops being an active partner. `inactiveSince` is the
 * last activity the job saw; a new spell of inactivity (a different `inactiveSince`) starts the row over.
 */
export const partnerRetention = pgTable(
  'partner_retention',
  {
    partnerId: uuid('partner_id')
      .primaryKey()
      .references(() => partners.id),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    inactiveSince: timestamptz('inactive_since').notNull(),
    atRiskSince: timestamptz('at_risk_since').notNull(),
    churnedSince: timestamptz('churned_since'),
  },
  (table) => [
    index('partner_retention_program_idx').on(table.programId, table.atRiskSince),
    check('partner_retention_churn_after_risk', sql`${table.churnedSince} is null or ${table.churnedSince} >= ${table.atRiskSince}`),
  ],
);

/**
 * Daily retention counts per program and monthly activation cohort (`cohort` is the first day of the UTC month the
 * partners were first activated), written by the retention job; a second run on the same day replaces the day's
 * rows. Partners counted: every partner of the program that was ever activated, once, in one of the four states.
 */
export const retentionSnapshots = pgTable(
  'retention_snapshots',
  {
    day: date('day', { mode: 'string' }).notNull(),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    cohort: date('cohort', { mode: 'string' }).notNull(),
    /** Active partners with activity within `inactivityDays`. */
    active: integer('active').notNull(),
    /** Active partners inactive for `inactivityDays` but not yet `churnDays`. */
    atRisk: integer('at_risk').notNull(),
    /** Active partners inactive for `churnDays` or more, plus terminated and erased partners. */
    churned: integer('churned').notNull(),
    suspended: integer('suspended').notNull(),
    takenAt: timestamptz('taken_at').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.day, table.programId, table.cohort] }),
    index('retention_snapshots_program_idx').on(table.programId, table.day),
    check('retention_snapshots_cohort_month', sql`extract(day from ${table.cohort}) = 1`),
    check('retention_snapshots_counts', sql`least(${table.active}, ${table.atRisk}, ${table.churned}, ${table.suspended}) >= 0`),
  ],
);

/**
 * A pending demotion: the performance job found the partner at or below a `demoteAt` bound of their tier and
 * waits `demotionGraceDays` from `pendingSince` before demoting. The row goes when the partner recovers, changes
 * tier or is no longer an active partner of the program. The metric that triggered it is kept for the alert.
 */
export const partnerDemotionPending = pgTable(
  'partner_demotion_pending',
  {
    partnerId: uuid('partner_id')
      .primaryKey()
      .references(() => partners.id),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    tier: text('tier').notNull(),
    metric: text('metric').notNull(),
    value: bigint('value', { mode: 'number' }).notNull(),
    threshold: bigint('threshold', { mode: 'number' }).notNull(),
    periodDays: integer('period_days').notNull(),
    pendingSince: timestamptz('pending_since').notNull(),
  },
  (table) => [index('partner_demotion_pending_program_idx').on(table.programId, table.pendingSince)],
);
