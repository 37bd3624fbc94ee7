import { sql } from 'drizzle-orm';
import { boolean, check, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const ROLES = ['affiliate_admin', 'partner_manager', 'program_manager', 'compliance_officer'] as const;
export type Role = (typeof ROLES)[number];

/** Staff of the affiliate team: partner managers, the actors of the audit trail. */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    roles: text('roles').array().$type<Role[]>().notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('users_email_key').on(sql`lower(${table.email})`),
    check(
      'users_roles_known',
      sql`${table.roles} <@ array['affiliate_admin','partner_manager','program_manager','compliance_officer']::text[]`,
    ),
  ],
);
