import { sql } from 'drizzle-orm';
import { boolean, check, index, inet, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { partners } from './partners.js';

/** Versioned program terms; the highest version is the current one. */
export const agreementVersions = pgTable(
  'agreement_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: integer('version').notNull().unique(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    contentHash: text('content_hash').notNull(),
    requiresReacceptance: boolean('requires_reacceptance').notNull().default(true),
    publishedBy: text('published_by').notNull(),
    publishedAt: createdAt(),
  },
  (table) => [check('agreement_versions_positive', sql`${table.version} > 0`)],
);

export const agreementAcceptances = pgTable(
  'agreement_acceptances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    agreementVersionId: uuid('agreement_version_id')
      .notNull()
      .references(() => agreementVersions.id),
    acceptedAt: timestamptz('accepted_at').notNull(),
    ipAddress: inet('ip_address'),
    userAgent: text('user_agent'),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: createdAt(),
  },
  (table) => [
    unique('agreement_acceptances_once').on(table.partnerId, table.agreementVersionId),
    index('agreement_acceptances_version_idx').on(table.agreementVersionId),
  ],
);
