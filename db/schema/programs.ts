import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid, index } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import type { ProgramConfiguration } from '../../server/domain/programs/configuration.js';

export const PROGRAM_STATUSES = ['active', 'archived'] as const;

export const programs = pgTable(
  'programs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    description: text('description'),
    currency: text('currency').notNull(),
    status: text('status', { enum: PROGRAM_STATUSES }).notNull().default('active'),
    currentVersion: integer('current_version').notNull().default(1),
    createdAt: createdAt(),
    archivedAt: timestamptz('archived_at'),
  },
  (table) => [
    uniqueIndex('programs_name_key').on(sql`lower(${table.name})`),
    index('programs_status_name_idx').on(table.status, sql`lower(${table.name})`, table.id),
    check('programs_currency_iso', sql`${table.currency} ~ '^[A-Z]{3}$'`),
    check('programs_status_known', sql`${table.status} in ('active','archived')`),
  ],
);

/**
 * Immutable configuration versions: a trigger refuses UPDATE, DELETE and TRUNCATE (migration
 * `program_versions_immutable`). A change writes a new row; money is always computed with the version whose
 * `effective_from` is the latest at or before the event's time (see domain/programs/versions.ts `configurationAt`).
 */
export const programVersions = pgTable(
  'program_versions',
  {
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id),
    version: integer('version').notNull(),
    configuration: jsonb('configuration').$type<ProgramConfiguration>().notNull(),
    reason: text('reason').notNull(),
    createdBy: text('created_by').notNull(),
    effectiveFrom: timestamptz('effective_from').notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.programId, table.version] }),
    index('program_versions_effective_idx').on(table.programId, table.effectiveFrom),
    check('program_versions_version_positive', sql`${table.version} > 0`),
  ],
);
