import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, timestamptz, updatedAt } from './columns.js';
import { programs } from './programs.js';
import { users } from './users.js';

export const PARTNER_STATUSES = [
  'applied',
  'verified',
  'enrolled',
  'setup_complete',
  'trained',
  'active',
  'suspended',
  'rejected',
  'terminated',
] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

export const REASON_CODES = ['performance', 'compliance', 'fraud', 'partner_request', 'other'] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export const partners = pgTable(
  'partners',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    referralCode: text('referral_code').notNull(),
    status: text('status', { enum: PARTNER_STATUSES }).notNull().default('applied'),
    // PII: name, email, phone. Erasure replaces them (see domain/partners/gdpr.ts).
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    company: text('company'),
    website: text('website'),
    country: text('country').notNull(),
    promotionalMethods: text('promotional_methods').array().notNull().default(sql`'{}'::text[]`),
    programId: uuid('program_id').references(() => programs.id),
    /** In no index of this table (the tier filter's is on partner_tiers), so a tier move is a HOT update. */
    tier: text('tier'),
    parentId: uuid('parent_id').references((): any => partners.id),
    managerId: uuid('manager_id').references(() => users.id),
    verifiedAt: timestamptz('verified_at'),
    enrolledAt: timestamptz('enrolled_at'),
    setupCompletedAt: timestamptz('setup_completed_at'),
    trainingCompletedAt: timestamptz('training_completed_at'),
    activatedAt: timestamptz('activated_at'),
    lastActivityAt: timestamptz('last_activity_at'),
    erasedAt: timestamptz('erased_at'),
    /**
     * The highest agreement version the partner accepted, kept by a trigger on agreement_acceptances (migration
     * 0024), so "accepted the current agreement" is a comparison on the row rather than a lookup per partner.
     */
    acceptedAgreementVersion: integer('accepted_agreement_version'),
    /**
     * Per document kind, the last day an approved document of that kind is valid ('infinity' when one never
     * expires), kept by triggers on compliance_documents (migration 0026): "holds a valid document of each required
     * kind" is then a comparison on the row rather than a lookup per partner and kind.
     */
    documentsValidUntil: jsonb('documents_valid_until').$type<Record<string, string>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('partners_email_key').on(sql`lower(${table.email})`),
    uniqueIndex('partners_referral_code_key').on(table.referralCode),
    index('partners_status_idx').on(table.status, table.createdAt, table.id),
    // Retention cohorts (a program's partners activated in a range), growth (applied and activated in a range) and
    // the compliance rate (a program's active partners, their accepted agreement version and valid documents) read
    // this index alone.
    index('partners_program_analytics_idx').on(
      table.programId,
      table.activatedAt,
      table.id,
      table.status,
      table.erasedAt,
      table.acceptedAgreementVersion,
      table.createdAt,
      table.documentsValidUntil,
    ),
    // The bottom performers' walk over a program's active partners in id order (health/revenue.ts).
    index('partners_active_program_idx').on(table.programId, table.id).where(sql`${table.status} = 'active'`),
    index('partners_manager_idx').on(table.managerId, table.createdAt, table.id),
    index('partners_parent_idx').on(table.parentId),
    index('partners_created_idx').on(table.createdAt, table.id),
    index('partners_name_idx').on(table.name, table.id),
    // Substring search (ILIKE '%term%') in partners.list; the extension comes from migration 0003.
    index('partners_name_trgm_idx').using('gin', table.name.op('gin_trgm_ops')),
    index('partners_email_trgm_idx').using('gin', table.email.op('gin_trgm_ops')),
    index('partners_company_trgm_idx').using('gin', table.company.op('gin_trgm_ops')),
    check(
      'partners_status_known',
      sql`${table.status} in ('applied','verified','enrolled','setup_complete','trained','active','suspended','rejected','terminated')`,
    ),
    check('partners_not_own_parent', sql`${table.parentId} is distinct from ${table.id}`),
    check('partners_country_iso', sql`${table.country} ~ '^[A-Z]{2}$'`),
  ],
);

/** Closure table of the referral hierarchy: one row per (ancestor, descendant) pair, depth 0 for the partner itself. */
export const partnerTree = pgTable(
  'partner_tree',
  {
    ancestorId: uuid('ancestor_id')
      .notNull()
      .references(() => partners.id),
    descendantId: uuid('descendant_id')
      .notNull()
      .references(() => partners.id),
    depth: integer('depth').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.ancestorId, table.depth, table.descendantId] }),
    index('partner_tree_descendant_idx').on(table.descendantId, table.depth),
    check('partner_tree_depth_non_negative', sql`${table.depth} >= 0`),
  ],
);

export const partnerStatusHistory = pgTable(
  'partner_status_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    fromStatus: text('from_status', { enum: PARTNER_STATUSES }),
    toStatus: text('to_status', { enum: PARTNER_STATUSES }).notNull(),
    reasonCode: text('reason_code', { enum: REASON_CODES }),
    note: text('note'),
    actorId: text('actor_id').notNull(),
    at: createdAt(),
  },
  (table) => [index('partner_status_history_partner_idx').on(table.partnerId, table.id)],
);

export const partnerTierHistory = pgTable(
  'partner_tier_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    fromTier: text('from_tier'),
    toTier: text('to_tier').notNull(),
    reasonCode: text('reason_code', { enum: REASON_CODES }).notNull(),
    note: text('note'),
    actorId: text('actor_id').notNull(),
    at: createdAt(),
  },
  (table) => [index('partner_tier_history_partner_idx').on(table.partnerId, table.id)],
);

/**
 * Enrollment of a partner in a program; a partner has at most one open enrollment. Its tier is in no index and the
 * table keeps 10% of each page free (fillfactor 90, migration 0033), so a tier move is a HOT update.
 */
export const enrollments = pgTable(
  'enrollments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    tier: text('tier').notNull(),
    agreementVersionId: uuid('agreement_version_id').notNull(),
    enrolledBy: text('enrolled_by').notNull(),
    enrolledAt: createdAt(),
    endedAt: timestamptz('ended_at'),
  },
  (table) => [
    uniqueIndex('enrollments_one_open').on(table.partnerId).where(sql`${table.endedAt} is null`),
    index('enrollments_program_idx').on(table.programId),
  ],
);

/**
 * The tier filter's index, outside the partner row: with `tier` in an index of partners, every tier move was a
 * non-HOT update adding an entry to all of the partners' indexes (three of them trigram GIN). Kept by triggers on
 * partners (migration 0034) that fire in bulk loads too; partners.list filters by tier through it.
 */
export const partnerTiers = pgTable(
  'partner_tiers',
  {
    partnerId: uuid('partner_id')
      .primaryKey()
      .references(() => partners.id, { onDelete: 'cascade' }),
    programId: uuid('program_id'),
    tier: text('tier'),
  },
  (table) => [index('partner_tiers_tier_program_idx').on(table.tier, table.programId, table.partnerId)],
);

/** Payout method and tax details (PII). `fingerprint` is a hash of the payout identity for fraud checks. */
export const partnerPayoutDetails = pgTable(
  'partner_payout_details',
  {
    partnerId: uuid('partner_id')
      .primaryKey()
      .references(() => partners.id),
    method: text('method', { enum: ['bank_transfer', 'paypal', 'check', 'wire'] }).notNull(),
    details: jsonb('details').$type<Record<string, string>>().notNull(),
    taxForm: text('tax_form', { enum: ['w9', 'w8ben'] }).notNull(),
    taxId: text('tax_id'),
    taxCountry: text('tax_country').notNull(),
    fingerprint: text('fingerprint').notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [index('partner_payout_details_fingerprint_idx').on(table.fingerprint)],
);

export const HOLD_KINDS = ['compliance', 'fraud'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

/** A compliance or fraud hold: blocks reactivation and payouts until released. */
export const partnerHolds = pgTable(
  'partner_holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    kind: text('kind', { enum: HOLD_KINDS }).notNull(),
    reason: text('reason').notNull(),
    source: text('source').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    releasedAt: timestamptz('released_at'),
    releasedBy: text('released_by'),
  },
  (table) => [
    index('partner_holds_open_idx').on(table.partnerId).where(sql`${table.releasedAt} is null`),
    uniqueIndex('partner_holds_open_source_key').on(table.partnerId, table.kind, table.source).where(sql`${table.releasedAt} is null`),
  ],
);

export const CONTACT_ROLES = ['primary', 'billing', 'technical'] as const;

/** The contact book: people at a partner (PII). */
export const contacts = pgTable(
  'contacts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    role: text('role', { enum: CONTACT_ROLES }).notNull(),
    name: text('name').notNull(),
    email: text('email'),
    phone: text('phone'),
    address: jsonb('address').$type<Record<string, string>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('contacts_partner_idx').on(table.partnerId, table.role)],
);

/** Customer accounts, with their own hierarchy. The referring partner is the open `referrer` link in partner_accounts. */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    externalRef: text('external_ref'),
    emailDomain: text('email_domain'),
    parentAccountId: uuid('parent_account_id').references((): any => accounts.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('accounts_external_ref_key').on(table.externalRef),
    index('accounts_parent_idx').on(table.parentAccountId),
    index('accounts_name_trgm_idx').using('gin', table.name.op('gin_trgm_ops')),
    check('accounts_not_own_parent', sql`${table.parentAccountId} is distinct from ${table.id}`),
  ],
);

/** Which customer accounts a partner is linked to, with role and dates; ended links stay as history. */
export const partnerAccounts = pgTable(
  'partner_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    role: text('role', { enum: ['referrer', 'owner', 'reseller', 'other'] }).notNull(),
    linkedAt: createdAt(),
    linkedBy: text('linked_by').notNull(),
    endedAt: timestamptz('ended_at'),
    endedBy: text('ended_by'),
  },
  (table) => [
    index('partner_accounts_partner_idx').on(table.partnerId).where(sql`${table.endedAt} is null`),
    uniqueIndex('partner_accounts_one_referrer').on(table.accountId).where(sql`${table.role} = 'referrer' and ${table.endedAt} is null`),
    uniqueIndex('partner_accounts_open_link').on(table.partnerId, table.accountId, table.role).where(sql`${table.endedAt} is null`),
    index('partner_accounts_partner_history_idx').on(table.partnerId, table.linkedAt, table.id),
    index('partner_accounts_account_history_idx').on(table.accountId, table.linkedAt, table.id),
  ],
);
