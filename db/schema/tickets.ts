import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz, updatedAt } from './columns.js';
import { partners } from './partners.js';
import { users } from './users.js';

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

/** open: waiting on staff (due_at applies); awaiting_partner: staff replied; resolved: closed until the partner writes. */
export const TICKET_STATUSES = ['open', 'awaiting_partner', 'resolved'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const supportTickets = pgTable(
  'support_tickets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    number: bigint('number', { mode: 'number' }).notNull().unique().generatedAlwaysAsIdentity(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    subject: text('subject').notNull(),
    priority: text('priority', { enum: TICKET_PRIORITIES }).notNull(),
    status: text('status', { enum: TICKET_STATUSES }).notNull().default('open'),
    assigneeId: uuid('assignee_id').references(() => users.id),
    dueAt: timestamptz('due_at').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    resolvedAt: timestamptz('resolved_at'),
    resolvedBy: text('resolved_by'),
  },
  (table) => [
    index('support_tickets_due_idx').on(table.dueAt, table.id),
    index('support_tickets_status_idx').on(table.status, table.dueAt, table.id),
    index('support_tickets_priority_idx').on(table.priority, table.dueAt, table.id),
    index('support_tickets_assignee_idx').on(table.assigneeId, table.dueAt, table.id),
    index('support_tickets_partner_idx').on(table.partnerId, table.dueAt, table.id),
    index('support_tickets_overdue_idx').on(table.dueAt, table.id).where(sql`${table.status} = 'open'`),
    check('support_tickets_priority_known', sql`${table.priority} in ('low', 'normal', 'high', 'urgent')`),
    check('support_tickets_status_known', sql`${table.status} in ('open', 'awaiting_partner', 'resolved')`),
  ],
);

export const TICKET_AUTHORS = ['partner', 'staff'] as const;
export type TicketAuthor = (typeof TICKET_AUTHORS)[number];

export const ticketMessages = pgTable(
  'ticket_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => supportTickets.id),
    author: text('author', { enum: TICKET_AUTHORS }).notNull(),
    /** The staff user who wrote or recorded the message (a partner's message arrives through staff or the portal). */
    recordedBy: text('recorded_by').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('ticket_messages_ticket_idx').on(table.ticketId, table.createdAt, table.id),
    check('ticket_messages_author_known', sql`${table.author} in ('partner', 'staff')`),
  ],
);
