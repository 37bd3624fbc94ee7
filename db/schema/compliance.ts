import { sql } from 'drizzle-orm';
import { check, date, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { partners } from './partners.js';

export const DOCUMENT_KINDS = ['w9', 'w8ben', 'identity', 'business_registration', 'other'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
export const DOCUMENT_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const complianceDocuments = pgTable(
  'compliance_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    kind: text('kind', { enum: DOCUMENT_KINDS }).notNull(),
    reference: text('reference').notNull(),
    checksum: text('checksum').notNull(),
    issuedOn: date('issued_on', { mode: 'string' }),
    expiresOn: date('expires_on', { mode: 'string' }),
    status: text('status', { enum: DOCUMENT_STATUSES }).notNull().default('pending'),
    reviewReason: text('review_reason'),
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamptz('reviewed_at'),
    submittedBy: text('submitted_by').notNull(),
    submittedAt: createdAt(),
  },
  (table) => [
    index('compliance_documents_partner_idx').on(table.partnerId, table.kind, table.status),
    index('compliance_documents_status_idx').on(table.status, table.submittedAt, table.id),
    index('compliance_documents_kind_idx').on(table.kind, table.submittedAt, table.id),
    index('compliance_documents_submitted_idx').on(table.submittedAt, table.id),
    index('compliance_documents_expiry_idx').on(table.expiresOn).where(sql`${table.expiresOn} is not null`),
    // A double submit of the same file while the first is still waiting for review.
    uniqueIndex('compliance_documents_pending_once')
      .on(table.partnerId, table.kind, table.checksum)
      .where(sql`${table.status} = 'pending'`),
    check('compliance_documents_checksum_sha256', sql`${table.checksum} ~ '^[0-9a-f]{64}$'`),
    check('compliance_documents_review_recorded', sql`(${table.status} = 'pending') = (${table.reviewedAt} is null)`),
    check('compliance_documents_kind_known', sql`${table.kind} in ('w9','w8ben','identity','business_registration','other')`),
    check('compliance_documents_status_known', sql`${table.status} in ('pending','approved','rejected')`),
    check('compliance_documents_dates', sql`${table.expiresOn} is null or ${table.issuedOn} is null or ${table.expiresOn} > ${table.issuedOn}`),
  ],
);
