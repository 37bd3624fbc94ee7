import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createPartner, createStaffUser } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/poll.js';
import { startTestServer } from './helpers/server.js';
import { startSmtpSink } from './helpers/smtp-sink.js';

const database = await createTestDatabase();
const { db } = database;
const sink = await startSmtpSink();
afterAll(() => sink.close());
const server = await startTestServer(database, {
  SMTP_URL: sink.url,
  SMTP_FROM: 'support@example.com',
  NOTIFICATION_DELIVERY_EVERY: '1 second',
  PUBLIC_BASE_URL: 'https://partners.example.com',
  TICKET_DUE_HOURS: 'urgent=1,high=4,normal=24,low=72',
});

const agent = await createStaffUser(db, ['partner_manager']);
const staff = await server.client(['partner_manager'], { sub: agent.id });
const hours = (ticket: { createdAt: Date; dueAt: Date }) => (ticket.dueAt.getTime() - ticket.createdAt.getTime()) / 3_600_000;

describe('support tickets', () => {
  it('opens a ticket with the partner’s message, due by its priority', async () => {
    const partner = await createPartner(db);
    const urgent = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Payout missing', body: 'My March payout did not arrive.', priority: 'urgent' });
    expect(urgent).toMatchObject({ partnerId: partner.id, status: 'open', priority: 'urgent', assigneeId: null, overdue: false });
    expect(hours(urgent)).toBe(1);
    const normal = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Question', body: 'How do tiers work?' });
    expect(normal.priority).toBe('normal');
    expect(hours(normal)).toBe(24);
    expect(normal.number).toBeGreaterThan(urgent.number);

    const detail = await (await server.client(['compliance_officer'])).tickets.get.query({ id: urgent.id });
    expect(detail.messages).toEqual([expect.objectContaining({ author: 'partner', recordedBy: agent.id, body: 'My March payout did not arrive.' })]);
    await expect(staff.tickets.create.mutate({ partnerId: randomUUID(), subject: 'x', body: 'y' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(staff.tickets.get.query({ id: randomUUID() })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('emails the partner a staff reply through the outbox and waits for the partner; the partner’s answer reopens the clock', async () => {
    const partner = await createPartner(db);
    const ticket = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Missing commission', body: 'Order 5531 is missing.', priority: 'high' });
    const replied = await staff.tickets.reply.mutate({ id: ticket.id, body: 'We found the sale and credited it.' });
    expect(replied.ticket).toMatchObject({ status: 'awaiting_partner', overdue: false });

    const email = await waitFor(() => sink.received.find((received) => received.to.includes(partner.email)), { what: 'the reply email', timeoutMs: 20_000 });
    expect(email.subject).toBe(`Re: [#${ticket.number}] Missing commission`);
    expect(email.text).toContain(`Our support team replied to your ticket #${ticket.number} (Missing commission):\n\nWe found the sale and credited it.`);
    expect(email.text).toContain(`https://partners.example.com/support/tickets/${ticket.id}`);
    const inbox = await staff.notifications.list.query({ partnerId: partner.id, channel: 'dashboard' });
    expect(inbox.items).toEqual([expect.objectContaining({ kind: 'ticket_reply', summary: `New reply on ticket #${ticket.number}: Missing commission` })]);

    const answered = await staff.tickets.reply.mutate({ id: ticket.id, body: 'Thanks, I see it now.', author: 'partner' });
    expect(answered.ticket.status).toBe('open');
    expect(answered.ticket.dueAt.getTime()).toBeGreaterThan(ticket.dueAt.getTime());
    const detail = await staff.tickets.get.query({ id: ticket.id });
    expect(detail.messages.map((message) => message.author)).toEqual(['partner', 'staff', 'partner']);
    expect(sink.received.filter((received) => received.to.includes(partner.email))).toHaveLength(1);
  });

  it('resolves once, and a partner’s message reopens a resolved ticket', async () => {
    const partner = await createPartner(db);
    const ticket = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Logo', body: 'Where is the logo?', priority: 'low' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => staff.tickets.resolve.mutate({ id: ticket.id })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(refusals).toHaveLength(9);
    expect(refusals[0]!.reason).toMatchObject({ data: { code: 'CONFLICT' }, message: 'Ticket is resolved; it cannot become resolved' });

    await expect(staff.tickets.reply.mutate({ id: ticket.id, body: 'One more thing' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Ticket is resolved; it cannot become awaiting_partner',
    });
    const reopened = await staff.tickets.reply.mutate({ id: ticket.id, body: 'Still need it.', author: 'partner' });
    expect(reopened.ticket).toMatchObject({ status: 'open', resolvedAt: null, resolvedBy: null });
    expect(hours({ createdAt: reopened.ticket.updatedAt, dueAt: reopened.ticket.dueAt })).toBe(72);
  });

  it('assigns to an active partner manager or admin only', async () => {
    const partner = await createPartner(db);
    const ticket = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Assign me', body: '…' });
    const colleague = await createStaffUser(db, ['partner_manager']);
    expect(await staff.tickets.assign.mutate({ id: ticket.id, assigneeId: colleague.id })).toMatchObject({ assigneeId: colleague.id });
    const programManager = await createStaffUser(db, ['program_manager']);
    const former = await createStaffUser(db, ['partner_manager'], { active: false });
    for (const assigneeId of [programManager.id, former.id]) {
      await expect(staff.tickets.assign.mutate({ id: ticket.id, assigneeId })).rejects.toMatchObject({ data: { code: 'PRECONDITION_FAILED' } });
    }
    await expect(staff.tickets.assign.mutate({ id: ticket.id, assigneeId: randomUUID() })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect(await staff.tickets.assign.mutate({ id: ticket.id, assigneeId: null })).toMatchObject({ assigneeId: null });
    const audit = await db.execute<{ after: { assigneeId: string | null } }>(
      sql`select after from activity where action = 'ticket.assign' and entity_id = ${ticket.id} order by id`,
    );
    expect(audit.rows.map((row) => row.after.assigneeId)).toEqual([colleague.id, null]);
  });

  it('lists tickets most urgent first, filtered by status, priority, assignee, partner and overdue', async () => {
    const partner = await createPartner(db);
    const make = (subject: string, priority: 'low' | 'normal' | 'high' | 'urgent') =>
      staff.tickets.create.mutate({ partnerId: partner.id, subject, body: subject, priority });
    const low = await make('low', 'low');
    await make('urgent', 'urgent');
    const high = await make('high', 'high');
    const late = await make('late', 'normal');
    await db.execute(sql`update support_tickets set due_at = now() - interval '1 hour' where id = ${late.id}`);
    await staff.tickets.assign.mutate({ id: high.id, assigneeId: agent.id });
    await staff.tickets.reply.mutate({ id: low.id, body: 'Answered.' });

    const mine = (input: Parameters<typeof staff.tickets.list.query>[0]) =>
      staff.tickets.list.query({ partnerId: partner.id, ...input }).then((page) => page.items.map((item) => item.subject));
    expect(await mine({})).toEqual(['late', 'urgent', 'high', 'low']);
    expect(await mine({ overdue: true })).toEqual(['late']);
    expect(await mine({ overdue: false })).toEqual(['urgent', 'high', 'low']);
    expect(await mine({ status: 'awaiting_partner' })).toEqual(['low']);
    expect(await mine({ priority: 'urgent' })).toEqual(['urgent']);
    expect(await mine({ assigneeId: agent.id })).toEqual(['high']);
    expect(await mine({ assigneeId: null })).toEqual(['late', 'urgent', 'low']);
    const overdueEverywhere = await staff.tickets.list.query({ overdue: true });
    expect(overdueEverywhere.items.map((item) => item.id)).toContain(late.id);
    expect(overdueEverywhere.items.every((item) => item.overdue)).toBe(true);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await staff.tickets.list.query({ partnerId: partner.id, limit: 3, cursor });
      pages.push(page.items.map((item) => item.subject));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([['late', 'urgent', 'high'], ['low']]);
  });
  it('records nothing new for an erased partner, and keeps the subject out of the audit trail', async () => {
    const partner = await createPartner(db);
    const ticket = await staff.tickets.create.mutate({ partnerId: partner.id, subject: 'Call me on +44 20 7946 0000', body: 'Hello' });
    const audit = await db.execute<{ after: { subject: string } }>(
      sql`select after from activity where action = 'ticket.create' and entity_id = ${ticket.id}`,
    );
    expect(audit.rows.map((row) => row.after.subject)).toEqual(['[redacted]']);

    await db.execute(sql`update partners set erased_at = now() where id = ${partner.id}`);
    const countMessages = async () =>
      (await db.execute<{ n: number }>(sql`select count(*)::int as n from ticket_messages where ticket_id = ${ticket.id}`)).rows[0]!.n;
    const messagesBefore = await countMessages();
    await expect(staff.tickets.reply.mutate({ id: ticket.id, body: 'Hi again' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('was erased'),
    });
    await expect(
      staff.tickets.create.mutate({ partnerId: partner.id, subject: 'New', body: 'Text' }),
    ).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
    expect(await countMessages()).toBe(messagesBefore);
  });
});
