import { subject } from '@casl/ability';
import { and, asc, eq, isNull, not, sql, type SQL } from 'drizzle-orm';
import type { Database, Executor } from '../../../db/client.js';
import { partners } from '../../../db/schema/partners.js';
import { supportTickets, ticketMessages, type TicketPriority, type TicketStatus } from '../../../db/schema/tickets.js';
import { users } from '../../../db/schema/users.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError, forbidden, illegalTransition, notFound } from '../../errors.js';
import { changedFields, recordActivity } from '../audit/record.js';
import { afterCursorRow } from '../shared/keyset.js';
import { communicationSettings } from '../communications/settings.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import { toPage } from '../shared/pagination.js';
import type { AssignTicketInput, CreateTicketInput, ListTicketsInput, ReplyToTicketInput } from './schemas.js';

/** Open tickets wait on staff; their due time is when the partner should have an answer. */
const overdue = sql<boolean>`(${supportTickets.status} = 'open' and ${supportTickets.dueAt} < now())`;

const ticketColumns = {
  id: supportTickets.id,
  number: supportTickets.number,
  partnerId: supportTickets.partnerId,
  subject: supportTickets.subject,
  priority: supportTickets.priority,
  status: supportTickets.status,
  assigneeId: supportTickets.assigneeId,
  dueAt: supportTickets.dueAt,
  overdue,
  createdBy: supportTickets.createdBy,
  createdAt: supportTickets.createdAt,
  updatedAt: supportTickets.updatedAt,
  resolvedAt: supportTickets.resolvedAt,
  resolvedBy: supportTickets.resolvedBy,
};
const abilityColumns = { partnerId: supportTickets.partnerId, assigneeId: supportTickets.assigneeId, status: supportTickets.status };

/** Due `hours(priority)` from now (TICKET_DUE_HOURS), computed in SQL with the transaction's clock. */
function dueFromNow(priority: TicketPriority): SQL {
  return sql`now() + make_interval(secs => ${communicationSettings().ticketDueHours[priority] * 3600})`;
}

async function lockTicket(tx: Executor, id: string) {
  const [ticket] = await tx.select(ticketColumns).from(supportTickets).where(eq(supportTickets.id, id)).for('update');
  if (!ticket) throw notFound('Ticket', id);
  return ticket;
}

/** After GDPR erasure nothing new may be written about the partner: new text would escape the erasure. */
function refuseErased(partner: { id: string; erasedAt: Date | null }) {
  if (partner.erasedAt) {
    throw new AppError('CONFLICT', `Partner ${partner.id} was erased; no new ticket messages can be recorded for them`, {
      partnerId: partner.id,
    });
  }
}

function auditedFields(ticket: { status: TicketStatus; assigneeId: string | null; dueAt: Date; resolvedAt: Date | null }) {
  return { status: ticket.status, assigneeId: ticket.assigneeId, dueAt: ticket.dueAt.toISOString(), resolvedAt: ticket.resolvedAt?.toISOString() ?? null };
}

export async function createTicket(db: Database, actor: Actor, input: CreateTicketInput) {
  return db.transaction(async (tx) => {
    const [partner] = await tx
      .select({ id: partners.id, erasedAt: partners.erasedAt })
      .from(partners)
      .where(eq(partners.id, input.partnerId))
      .for('share');
    if (!partner) throw notFound('Partner', input.partnerId);
    refuseErased(partner);
    const [created] = await tx
      .insert(supportTickets)
      .values({ partnerId: partner.id, subject: input.subject, priority: input.priority, dueAt: dueFromNow(input.priority), createdBy: actor.userId })
      .returning({ id: supportTickets.id });
    if (!created) throw new Error('insert returned no row');
    await tx.insert(ticketMessages).values({ ticketId: created.id, author: 'partner', recordedBy: actor.userId, body: input.body });
    const [ticket] = await tx.select(ticketColumns).from(supportTickets).where(eq(supportTickets.id, created.id));
    await recordActivity(tx, actor, {
      action: 'ticket.create',
      entityType: 'ticket',
      entityId: created.id,
      // The subject is the partner's own words and may hold personal data: the append-only trail keeps only the fact.
      after: { partnerId: partner.id, subject: '[redacted]', priority: input.priority, dueAt: ticket!.dueAt.toISOString() },
    });
    return ticket!;
  });
}

/** Most urgent first: by due time, then id. */
export async function listTickets(db: Executor, ability: AppAbility, input: ListTicketsInput) {
  const filters: (SQL | undefined)[] = [
    accessibleWhere(ability, 'read', 'Ticket', abilityColumns),
    input.status ? eq(supportTickets.status, input.status) : undefined,
    input.priority ? eq(supportTickets.priority, input.priority) : undefined,
    input.assigneeId === null ? isNull(supportTickets.assigneeId) : input.assigneeId ? eq(supportTickets.assigneeId, input.assigneeId) : undefined,
    input.partnerId ? eq(supportTickets.partnerId, input.partnerId) : undefined,
    input.overdue === undefined ? undefined : input.overdue ? overdue : not(overdue),
    input.cursor ? afterCursorRow(supportTickets, supportTickets.id, [supportTickets.dueAt, supportTickets.id], 'asc', input.cursor) : undefined,
  ];
  const rows = await db
    .select(ticketColumns)
    .from(supportTickets)
    .where(and(...filters))
    .orderBy(asc(supportTickets.dueAt), asc(supportTickets.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** A ticket message as `tickets.get` and the partner's GDPR export show it. */
export const ticketMessageColumns = {
  id: ticketMessages.id,
  author: ticketMessages.author,
  recordedBy: ticketMessages.recordedBy,
  body: ticketMessages.body,
  createdAt: ticketMessages.createdAt,
};

export async function getTicket(db: Executor, ability: AppAbility, id: string) {
  const [ticket] = await db.select(ticketColumns).from(supportTickets).where(eq(supportTickets.id, id));
  if (!ticket) throw notFound('Ticket', id);
  if (!ability.can('read', subject('Ticket', { ...ticket } as Record<string, unknown>))) throw forbidden(`Forbidden: you may not read ticket ${id}`);
  const messages = await db
    .select(ticketMessageColumns)
    .from(ticketMessages)
    .where(eq(ticketMessages.ticketId, id))
    .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id));
  return { ...ticket, messages };
}

const ASSIGNABLE_ROLES = ['partner_manager', 'affiliate_admin'];

export async function assignTicket(db: Database, actor: Actor, input: AssignTicketInput) {
  return db.transaction(async (tx) => {
    const before = await lockTicket(tx, input.id);
    if (input.assigneeId) {
      const [assignee] = await tx.select({ id: users.id, active: users.active, roles: users.roles }).from(users).where(eq(users.id, input.assigneeId));
      if (!assignee) throw notFound('User', input.assigneeId);
      if (!assignee.active || !assignee.roles.some((role) => ASSIGNABLE_ROLES.includes(role))) {
        throw new AppError('PRECONDITION_FAILED', `User ${input.assigneeId} is not an active partner manager or affiliate admin`, {
          assigneeId: input.assigneeId,
        });
      }
    }
    const [after] = await tx
      .update(supportTickets)
      .set({ assigneeId: input.assigneeId, updatedAt: sql`now()` })
      .where(eq(supportTickets.id, input.id))
      .returning(ticketColumns);
    await recordActivity(tx, actor, { action: 'ticket.assign', entityType: 'ticket', entityId: input.id, ...changedFields(auditedFields(before), auditedFields(after!)) });
    return after!;
  });
}

/**
 * Adds a message. A staff reply hands the ticket to the partner (awaiting_partner) and notifies them through the
 * outbox; a partner's message puts it back on staff's desk (open, due again from now), reopening a resolved one.
 */
export async function replyToTicket(db: Database, actor: Actor, input: ReplyToTicketInput) {
  return db.transaction(async (tx) => {
    const before = await lockTicket(tx, input.id);
    const [partner] = await tx
      .select({ id: partners.id, erasedAt: partners.erasedAt })
      .from(partners)
      .where(eq(partners.id, before.partnerId))
      .for('share');
    if (partner) refuseErased(partner);
    const fromPartner = input.author === 'partner';
    if (!fromPartner && before.status === 'resolved') throw illegalTransition('Ticket', before.status, 'awaiting_partner');
    const [message] = await tx
      .insert(ticketMessages)
      .values({ ticketId: before.id, author: input.author, recordedBy: actor.userId, body: input.body })
      .returning({ id: ticketMessages.id, createdAt: ticketMessages.createdAt });
    const changes = fromPartner
      ? {
          status: 'open' as const,
          // An open ticket keeps its clock; one that was waiting on the partner (or resolved) starts a new one.
          dueAt: before.status === 'open' ? before.dueAt : dueFromNow(before.priority),
          resolvedAt: null,
          resolvedBy: null,
        }
      : { status: 'awaiting_partner' as const };
    const [after] = await tx
      .update(supportTickets)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(supportTickets.id, before.id))
      .returning(ticketColumns);
    if (!fromPartner) {
      await enqueueNotifications(tx, {
        kind: 'ticket_reply',
        recipients: [
          {
            partnerId: before.partnerId,
            dedupeKey: message!.id,
            variables: { ticketId: before.id, ticketNumber: before.number, subject: before.subject, reply: input.body },
          },
        ],
      });
    }
    await recordActivity(tx, actor, {
      action: fromPartner ? 'ticket.partner_message' : 'ticket.reply',
      entityType: 'ticket',
      entityId: before.id,
      ...changedFields(auditedFields(before), auditedFields(after!)),
    });
    return { ticket: after!, messageId: message!.id };
  });
}

export async function resolveTicket(db: Database, actor: Actor, id: string) {
  return db.transaction(async (tx) => {
    const before = await lockTicket(tx, id);
    if (before.status === 'resolved') throw illegalTransition('Ticket', before.status, 'resolved');
    const [after] = await tx
      .update(supportTickets)
      .set({ status: 'resolved', resolvedAt: sql`now()`, resolvedBy: actor.userId, updatedAt: sql`now()` })
      .where(eq(supportTickets.id, id))
      .returning(ticketColumns);
    await recordActivity(tx, actor, { action: 'ticket.resolve', entityType: 'ticket', entityId: id, ...changedFields(auditedFields(before), auditedFields(after!)) });
    return after!;
  });
}
