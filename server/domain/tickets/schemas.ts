import { z } from 'zod';
import { TICKET_AUTHORS, TICKET_PRIORITIES, TICKET_STATUSES } from '../../../db/schema/tickets.js';
import { pageInput } from '../shared/pagination.js';

const body = z.string().trim().min(1).max(20_000);

export const createTicketInput = z.object({
  partnerId: z.uuid(),
  subject: z.string().trim().min(1).max(200),
  body,
  priority: z.enum(TICKET_PRIORITIES).default('normal'),
});

export const listTicketsInput = pageInput.extend({
  status: z.enum(TICKET_STATUSES).optional(),
  priority: z.enum(TICKET_PRIORITIES).optional(),
  /** A user id, or null for unassigned tickets. */
  assigneeId: z.uuid().nullable().optional(),
  partnerId: z.uuid().optional(),
  /** Open (waiting on staff) and past due. */
  overdue: z.boolean().optional(),
});

export const ticketIdInput = z.object({ id: z.uuid() });
export const assignTicketInput = z.object({ id: z.uuid(), assigneeId: z.uuid().nullable() });
export const replyToTicketInput = z.object({
  id: z.uuid(),
  body,
  /** `partner` records the partner's own message (from the portal or an email); it reopens a resolved ticket. */
  author: z.enum(TICKET_AUTHORS).default('staff'),
});

export type CreateTicketInput = z.infer<typeof createTicketInput>;
export type ListTicketsInput = z.infer<typeof listTicketsInput>;
export type AssignTicketInput = z.infer<typeof assignTicketInput>;
export type ReplyToTicketInput = z.infer<typeof replyToTicketInput>;
