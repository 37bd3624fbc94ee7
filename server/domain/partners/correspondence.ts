import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { notifications } from '../../../db/schema/notifications.js';
import { supportTickets, ticketMessages } from '../../../db/schema/tickets.js';
import type { Executor } from '../../../db/client.js';
import { ticketMessageColumns } from '../tickets/tickets.js';

/** What erasure leaves in place of free text the partner wrote or was sent. */
export const ERASED_TEXT = '[erased]';

/** The partner's support tickets, oldest first, each with its messages (the partner's and staff's) in order. */
export async function ticketsOf(db: Executor, partnerId: string) {
  const tickets = await db
    .select({
      id: supportTickets.id,
      number: supportTickets.number,
      subject: supportTickets.subject,
      priority: supportTickets.priority,
      status: supportTickets.status,
      createdBy: supportTickets.createdBy,
      createdAt: supportTickets.createdAt,
      resolvedAt: supportTickets.resolvedAt,
    })
    .from(supportTickets)
    .where(eq(supportTickets.partnerId, partnerId))
    .orderBy(asc(supportTickets.createdAt), asc(supportTickets.id));
  const messages = await db
    .select({ ticketId: ticketMessages.ticketId, ...ticketMessageColumns })
    .from(ticketMessages)
    .innerJoin(supportTickets, eq(supportTickets.id, ticketMessages.ticketId))
    .where(eq(supportTickets.partnerId, partnerId))
    .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id));
  const byTicket = new Map(tickets.map((ticket) => [ticket.id, [] as Omit<(typeof messages)[number], 'ticketId'>[]]));
  for (const { ticketId, ...message } of messages) byTicket.get(ticketId)?.push(message);
  return tickets.map((ticket) => ({ ...ticket, messages: byTicket.get(ticket.id)! }));
}

/** Notifications addressed to the partner, as rendered, oldest first (the HTML body is the text body in the layout). */
export function notificationsOf(db: Executor, partnerId: string) {
  return db
    .select({
      id: notifications.id,
      kind: notifications.kind,
      channel: notifications.channel,
      subject: notifications.subject,
      summary: notifications.summary,
      bodyText: notifications.bodyText,
      state: notifications.state,
      createdAt: notifications.createdAt,
      sentAt: notifications.sentAt,
      readAt: notifications.readAt,
    })
    .from(notifications)
    .where(eq(notifications.partnerId, partnerId))
    .orderBy(asc(notifications.createdAt), asc(notifications.id));
}

export interface RedactedCorrespondence {
  ticketsRedacted: number;
  ticketMessagesRedacted: number;
  notificationsRedacted: number;
}

/**
 * Replaces the free text of the partner's correspondence with ERASED_TEXT, one statement per table, keeping rows,
 * authors, states and times: the subjects of its tickets and the bodies of the messages the partner wrote (staff
 * replies stay: they are the company's record), and the rendered content of every notification addressed to it
 * (a delivery error, which may quote the address, included). Call in the erasure's transaction, with the partner
 * row locked FOR UPDATE: that holds off new tickets and notifications (their foreign key needs a KEY SHARE lock).
 */
export async function redactCorrespondence(tx: Executor, partnerId: string): Promise<RedactedCorrespondence> {
  // Updating the tickets first also waits for a reply in flight (it holds its ticket FOR UPDATE), so the messages
  // statement below, with a fresh snapshot, sees that reply's message.
  const tickets = await tx.update(supportTickets).set({ subject: ERASED_TEXT }).where(eq(supportTickets.partnerId, partnerId));
  const messages = await tx
    .update(ticketMessages)
    .set({ body: ERASED_TEXT })
    .where(
      and(
        eq(ticketMessages.author, 'partner'),
        inArray(ticketMessages.ticketId, tx.select({ id: supportTickets.id }).from(supportTickets).where(eq(supportTickets.partnerId, partnerId))),
      ),
    );
  const notices = await tx
    .update(notifications)
    .set({
      subject: ERASED_TEXT,
      summary: ERASED_TEXT,
      bodyText: ERASED_TEXT,
      bodyHtml: ERASED_TEXT,
      lastError: sql`case when ${notifications.lastError} is null then null else ${ERASED_TEXT} end`,
    })
    .where(eq(notifications.partnerId, partnerId));
  return {
    ticketsRedacted: tickets.rowCount ?? 0,
    ticketMessagesRedacted: messages.rowCount ?? 0,
    notificationsRedacted: notices.rowCount ?? 0,
  };
}
