import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, index, integer, pgTable, primaryKey, text, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

/**
 * Rollups for analytics, maintained incrementally: `server/domain/analytics/rollups.ts` folds each ingested batch
 * of attributed referral events into them inside the ingesting transaction, and triggers on `commissions`
 * (migration `analytics_commission_rollup_triggers`) fold every ledger insert and status move into
 * `analytics_commission_days` inside the writing transaction. They are derived data (no foreign keys); the raw
 * tables stay the source of truth and `rollupDrift` compares the two. Days and months are UTC calendar dates.
 */

/** The measures both event rollups carry. `currency` is the money's (for clicks and leads: the program's). */
const eventMeasures = {
  clicks: integer('clicks').notNull().default(0),
  leads: integer('leads').notNull().default(0),
  sales: integer('sales').notNull().default(0),
  refunds: integer('refunds').notNull().default(0),
  /** Sum of the sales' amounts, integer minor units. */
  revenue: bigint('revenue', { mode: 'number' }).notNull().default(0),
  /** Sum of the refunds' amounts, integer minor units. */
  refunded: bigint('refunded', { mode: 'number' }).notNull().default(0),
};

type EventRollup = { programId: AnyPgColumn; partnerId: AnyPgColumn; currency: AnyPgColumn } & Record<keyof typeof eventMeasures, AnyPgColumn>;

/** A covering index's columns: program and period first, then the whole row, so a range scan needs no heap. */
function programRowColumns(table: EventRollup, period: AnyPgColumn) {
  const { programId, partnerId, currency, clicks, leads, sales, refunds, revenue, refunded } = table;
  return [programId, period, partnerId, currency, clicks, leads, sales, refunds, revenue, refunded] as const;
}

/** Attributed events per partner × UTC day × program × currency. */
export const analyticsPartnerDays = pgTable(
  'analytics_partner_days',
  {
    partnerId: uuid('partner_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    programId: uuid('program_id').notNull(),
    currency: text('currency').notNull(),
    ...eventMeasures,
  },
  (table) => [
    primaryKey({ columns: [table.partnerId, table.day, table.programId, table.currency] }),
    // Program-level dashboards read a program's rows for a range from this index alone (it holds every column).
    index('analytics_partner_days_program_rows_idx').on(...programRowColumns(table, table.day)),
    // Revenue ranking (percentile, concentration) reads only rows with revenue, straight from this index.
    index('analytics_partner_days_revenue_idx')
      .on(table.programId, table.day, table.partnerId, table.revenue)
      .where(sql`${table.revenue} > 0`),
    check('analytics_partner_days_counts', sql`least(${table.clicks}, ${table.leads}, ${table.sales}, ${table.refunds}) >= 0`),
  ],
);

/**
 * The same per UTC month (`month` is its first day): what ranges of whole months read. `active_days` has bit d − 1
 * set when the row holds a click, lead or sale of day d, so retention cohorts answer "active in this month, in
 * these days?" from one row per month instead of one per day.
 */
export const analyticsPartnerMonths = pgTable(
  'analytics_partner_months',
  {
    partnerId: uuid('partner_id').notNull(),
    month: date('month', { mode: 'string' }).notNull(),
    programId: uuid('program_id').notNull(),
    currency: text('currency').notNull(),
    ...eventMeasures,
    activeDays: integer('active_days').notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.partnerId, table.month, table.programId, table.currency] }),
    index('analytics_partner_months_program_rows_idx').on(...programRowColumns(table, table.month), table.activeDays),
    index('analytics_partner_months_revenue_idx')
      .on(table.programId, table.month, table.partnerId, table.revenue)
      .where(sql`${table.revenue} > 0`),
    check('analytics_partner_months_first_day', sql`extract(day from ${table.month}) = 1`),
  ],
);

/**
 * The same measures summed per partner × program × currency over trailing windows of whole UTC days that end where
 * `analytics_window_state.as_of` says: `days` = N holds [as_of − N, as_of). Ingestion folds a late event into the
 * windows covering its day; the windows job moves `as_of` on each day (server/domain/analytics/windows.ts). A range
 * equal to a window is read here, one row per partner, instead of summing months and days.
 */
export const analyticsPartnerWindows = pgTable(
  'analytics_partner_windows',
  {
    days: integer('days').notNull(),
    programId: uuid('program_id').notNull(),
    partnerId: uuid('partner_id').notNull(),
    currency: text('currency').notNull(),
    ...eventMeasures,
  },
  (table) => [
    primaryKey({ columns: [table.days, table.programId, table.partnerId, table.currency] }),
    // The program percentile reads the sellers in partner order from this index alone.
    index('analytics_partner_windows_revenue_idx')
      .on(table.days, table.programId, table.partnerId, table.revenue)
      .where(sql`${table.revenue} > 0`),
  ],
);

/** One row: the day the windows end on (exclusive). No row: no window is kept yet. */
export const analyticsWindowState = pgTable(
  'analytics_window_state',
  {
    singleton: boolean('singleton').primaryKey().default(true),
    asOf: date('as_of', { mode: 'string' }).notNull(),
  },
  (table) => [check('analytics_window_state_one_row', sql`${table.singleton}`)],
);

/**
 * Per program × partner × UTC year (`year` is its first day): `active_months` has bit m − 1 set when the partner had
 * a click, lead or sale under the program in month m, and `last_active_day` is the last such day of the year.
 * Retention cohorts read one row per partner and year here instead of one per month and currency.
 */
export const analyticsPartnerYears = pgTable(
  'analytics_partner_years',
  {
    programId: uuid('program_id').notNull(),
    year: date('year', { mode: 'string' }).notNull(),
    partnerId: uuid('partner_id').notNull(),
    activeMonths: integer('active_months').notNull(),
    lastActiveDay: date('last_active_day', { mode: 'string' }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.programId, table.year, table.partnerId] }),
    // A program's rows for a span of years from this index alone.
    index('analytics_partner_years_program_rows_idx').on(table.programId, table.year, table.partnerId, table.activeMonths, table.lastActiveDay),
    check('analytics_partner_years_first_day', sql`extract(doy from ${table.year}) = 1`),
  ],
);

/**
 * Per partner, over all time: first and last click, lead or sale, and the first sale (first conversion). With the
 * partner's current program and sign-up time, copied from the partner row (and kept by a trigger on partners,
 * migration 0036), so that a program's first conversions are one index range, not a join with its partners.
 */
export const analyticsPartnerActivity = pgTable(
  'analytics_partner_activity',
  {
    partnerId: uuid('partner_id').primaryKey(),
    firstEventAt: timestamptz('first_event_at'),
    lastEventAt: timestamptz('last_event_at'),
    firstSaleAt: timestamptz('first_sale_at'),
    programId: uuid('program_id'),
    partnerCreatedAt: timestamptz('partner_created_at').notNull(),
  },
  (table) => [index('analytics_partner_activity_first_sale_idx').on(table.programId, table.firstSaleAt, table.partnerCreatedAt)],
);

/**
 * Commission ledger entries (earnings, overrides and their reversals) per partner × UTC day × currency × kind ×
 * level × status. The day is that of the referral event behind the entry: the refund for a refund's reversal, else
 * the sale. A status move shifts the entry's amount from one status row to the other.
 */
export const analyticsCommissionDays = pgTable(
  'analytics_commission_days',
  {
    partnerId: uuid('partner_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    currency: text('currency').notNull(),
    kind: text('kind', { enum: ['earning', 'override', 'reversal'] }).notNull(),
    level: integer('level').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'paid', 'reversed', 'forfeited'] }).notNull(),
    amount: bigint('amount', { mode: 'number' }).notNull().default(0),
    entries: integer('entries').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.partnerId, table.day, table.currency, table.kind, table.level, table.status] })],
);
