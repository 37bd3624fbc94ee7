import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { agreementAcceptances } from '../db/schema/agreements.js';
import { accounts, contacts, partnerAccounts, partnerHolds, partnerPayoutDetails, partnerTierHistory } from '../db/schema/partners.js';
import { createTestDatabase } from './helpers/db.js';
import { acceptCurrentAgreement, createPartner, createStaffUser, createTestProgram, insertDocument, samplePayout } from './helpers/factories/partners.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerId = await createStaffUser(db);
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const complianceOfficer = await server.client(['compliance_officer']);
const program = await createTestProgram(db, { tiers: ['silver', 'gold'] });

const STAFF_REPLY = 'Thanks, we will call you back tomorrow.';

/** A partner with something in every section an export covers; returns the PII strings it holds. */
async function richPartner() {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  // Unique per partner, so a search of the whole database finds this partner's values only.
  const phone = (digit: number) => `+1 ${stamp.slice(-9)}${digit}`;
  const applied = await manager.partners.submitApplication.mutate({
    name: `Grace Hopper ${stamp}`,
    email: `grace.${stamp}@navy.example`,
    phone: phone(1),
    company: `Hopper Compilers ${stamp}`,
    website: 'https://hopper.example',
    country: 'US',
    promotionalMethods: ['blog'],
  });
  const partnerId = applied.id;
  const contact = await manager.partners.addContact.mutate({
    partnerId,
    role: 'billing',
    name: `Billing Person ${stamp}`,
    email: `billing.${stamp}@navy.example`,
    phone: phone(2),
    address: { line1: `${stamp} Navy Way`, city: 'Arlington', postalCode: '22202', country: 'us' },
  });
  await manager.partners.updateContact.mutate({ contactId: contact.id, phone: phone(3) });
  await manager.partners.update.mutate({ partnerId, phone: phone(4) });
  await db.insert(partnerPayoutDetails).values({
    partnerId,
    method: 'paypal',
    details: { email: `pay.${stamp}@navy.example` },
    taxForm: 'w9',
    taxId: `TAX-${stamp}`,
    taxCountry: 'US',
    fingerprint: 'f'.repeat(64),
  });
  await insertDocument(db, partnerId, 'w9');
  await acceptCurrentAgreement(db, partnerId);
  await db.insert(partnerTierHistory).values({ partnerId, programId: program.id, fromTier: null, toTier: 'silver', reasonCode: 'other', actorId: 'test' });
  const [account] = await db.insert(accounts).values({ name: `Account of ${stamp}` }).returning({ id: accounts.id });
  await db.insert(partnerAccounts).values({ partnerId, accountId: account!.id, role: 'owner', linkedBy: 'test' });
  await db.insert(partnerHolds).values({ partnerId, kind: 'fraud', reason: 'velocity', source: 'test', createdBy: 'test' });
  // Free text with PII in the partner's support messages and in a notification sent to it.
  const ticket = await manager.tickets.create.mutate({ partnerId, subject: 'Question about my payout', body: `Please call me on ${phone(5)}` });
  await manager.tickets.reply.mutate({ id: ticket.id, body: STAFF_REPLY });
  await manager.tickets.reply.mutate({ id: ticket.id, author: 'partner', body: `Or visit me at ${stamp} Elm Street` });
  await manager.communications.notifyPartners.mutate({
    targetGroup: { type: 'partners', partnerIds: [partnerId] },
    message: { type: 'free', subject: `Your call on ${phone(6)}`, body: `Dear Grace, we will call you on ${phone(6)}.` },
  });
  const pii = [
    `Grace Hopper ${stamp}`,
    `grace.${stamp}@navy.example`,
    phone(4),
    `Billing Person ${stamp}`,
    `billing.${stamp}@navy.example`,
    phone(3),
    `pay.${stamp}@navy.example`,
    `TAX-${stamp}`,
    `${stamp} Navy Way`,
    `Hopper Compilers ${stamp}`,
    phone(5),
    `${stamp} Elm Street`,
    phone(6),
  ];
  return { partnerId, contactId: contact.id, ticketId: ticket.id, pii, phone };
}

/** The partner's notifications as stored, in a stable order. */
async function notices(partnerId: string) {
  const result = await db.execute<Record<string, unknown>>(sql`
    select id, kind, channel, state, attempts, created_at, sent_at, read_at, subject, summary, body_text, body_html
    from notifications where partner_id = ${partnerId} order by created_at, id`);
  return result.rows;
}

/** Every text value in every table of this database, to prove a string is gone from everywhere. */
async function databaseText(): Promise<string> {
  const tables = await db.execute<{ name: string }>(sql`select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = 'public'`);
  const dumps = await Promise.all(
    tables.rows.map(async ({ name }) => (await db.execute<{ dump: string | null }>(sql.raw(`select string_agg(t::text, E'\\n') as dump from ${name} t`))).rows[0]?.dump ?? ''),
  );
  return dumps.join('\n');
}

describe('partners.exportData', () => {
  it('returns everything held about the partner, and audits who took the copy', async () => {
    const { partnerId, contactId, ticketId, phone } = await richPartner();
    const exported = await complianceOfficer.partners.exportData.mutate({ partnerId });
    expect(exported.partner).toMatchObject({ id: partnerId, phone: phone(4), website: 'https://hopper.example', managerId });
    expect(exported.contacts).toEqual([expect.objectContaining({ id: contactId, role: 'billing', phone: phone(3), address: expect.objectContaining({ country: 'US' }) })]);
    expect(exported.payoutDetails).toMatchObject({ method: 'paypal', taxForm: 'w9', details: { email: expect.stringContaining('pay.') } });
    expect(exported.statusHistory).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'applied' })]);
    expect(exported.tierHistory).toEqual([expect.objectContaining({ toTier: 'silver' })]);
    expect(exported.documents).toEqual([expect.objectContaining({ kind: 'w9', status: 'approved' })]);
    expect(exported.agreementAcceptances).toEqual([expect.objectContaining({ agreementVersion: expect.any(Number), ipAddress: '203.0.113.7' })]);
    expect(exported.accountLinks).toEqual([expect.objectContaining({ role: 'owner', accountName: expect.stringContaining('Account of') })]);
    expect(exported.holds).toEqual([expect.objectContaining({ kind: 'fraud', reason: 'velocity' })]);
    expect(exported.enrollments).toEqual([]);
    expect(exported.tickets).toEqual([
      expect.objectContaining({
        id: ticketId,
        subject: 'Question about my payout',
        status: 'open',
        messages: [
          expect.objectContaining({ author: 'partner', body: `Please call me on ${phone(5)}` }),
          expect.objectContaining({ author: 'staff', body: STAFF_REPLY }),
          expect.objectContaining({ author: 'partner', body: expect.stringContaining('Elm Street') }),
        ],
      }),
    ]);
    const noticeKinds = exported.notifications.map((notice) => `${notice.kind}/${notice.channel}`).sort();
    expect(noticeKinds).toEqual([
      'application_received/dashboard',
      'application_received/email',
      'custom_message/dashboard',
      'custom_message/email',
      'ticket_reply/dashboard',
      'ticket_reply/email',
    ]);
    expect(exported.notifications.find((notice) => notice.kind === 'custom_message')).toMatchObject({
      subject: `Your call on ${phone(6)}`,
      bodyText: expect.stringContaining(`we will call you on ${phone(6)}`),
    });
    expect(exported.auditTrail.map((entry) => entry.action)).toEqual([
      'partner.apply',
      'partner.contact.add',
      'partner.contact.update',
      'partner.update',
    ]);
    const [audit] = await db
      .select({ actorRoles: activity.actorRoles })
      .from(activity)
      .where(and(eq(activity.entityId, partnerId), eq(activity.action, 'partner.export')));
    expect(audit).toEqual({ actorRoles: ['compliance_officer'] });
  });

  it('answers an unknown partner with NOT_FOUND', async () => {
    await expect(admin.partners.exportData.mutate({ partnerId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });
});

describe('the audit trail', () => {
  it('names the PII fields a change touched, never their values', async () => {
    const { partnerId, pii } = await richPartner();
    const entries = await db
      .select({ action: activity.action, before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.entityType, 'partner'), eq(activity.entityId, partnerId)));
    const text = JSON.stringify(entries);
    for (const value of pii) expect(text).not.toContain(value);
    expect(entries.find((entry) => entry.action === 'partner.update')).toEqual({
      action: 'partner.update',
      before: { phone: '[redacted: old value]' },
      after: { phone: '[redacted: new value]' },
    });
    expect(entries.find((entry) => entry.action === 'partner.contact.update')).toMatchObject({
      before: { contact: { id: expect.any(String), phone: '[redacted: old value]' } },
      after: { contact: { id: expect.any(String), phone: '[redacted: new value]' } },
    });
  });
});

describe('partners.erase', () => {
  it('erases only rejected or terminated partners', async () => {
    const { partnerId } = await richPartner();
    await expect(complianceOfficer.partners.erase.mutate({ partnerId })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining('it is applied; terminate it first'),
    });
    expect((await admin.partners.get.query({ partnerId })).erasedAt).toBeNull();
  });

  it('removes the PII from every table, keeps the facts, and never shows it again', async () => {
    const { partnerId, ticketId, pii } = await richPartner();
    await admin.partners.terminate.mutate({ partnerId, reasonCode: 'partner_request', note: 'GDPR request #42' });
    const before = await databaseText();
    for (const value of pii) expect(before).toContain(value);
    const ticketBefore = await admin.tickets.get.query({ id: ticketId });
    const noticesBefore = await notices(partnerId);

    const erased = await complianceOfficer.partners.erase.mutate({ partnerId, note: 'GDPR request #42' });
    expect(erased).toMatchObject({ partnerId, alreadyErased: false });

    const after = await databaseText();
    for (const value of pii) expect(after).not.toContain(value);

    const got = await admin.partners.get.query({ partnerId });
    expect(got).toMatchObject({ name: 'Erased partner', email: `erased-${partnerId}@erased.invalid`, phone: null, company: null, website: null, status: 'terminated' });
    expect(got.erasedAt).not.toBeNull();
    const listed = await admin.partners.list.query({ search: 'erased', limit: 200 });
    expect(listed.items.map((item) => item.id)).toContain(partnerId);

    const exported = await admin.partners.exportData.mutate({ partnerId });
    expect(exported.contacts).toEqual([]);
    expect(exported.payoutDetails).toBeNull();
    expect(exported.agreementAcceptances).toEqual([expect.objectContaining({ ipAddress: null, userAgent: null })]);
    expect(exported.statusHistory.map((entry) => entry.toStatus)).toEqual(['applied', 'terminated']);
    expect(exported.documents).toHaveLength(1);
    expect(exported.holds).toHaveLength(1);
    expect(exported.auditTrail.find((entry) => entry.action === 'partner.erase')).toMatchObject({
      after: expect.objectContaining({
        contactsRemoved: 1,
        payoutDetailsRemoved: 1,
        acceptancesAnonymised: 1,
        ticketsRedacted: 1,
        ticketMessagesRedacted: 2,
        notificationsRedacted: noticesBefore.length,
      }),
    });

    // Tickets and notifications keep their rows, authors, states and times; only the free text is gone.
    const ticketAfter = await admin.tickets.get.query({ id: ticketId });
    expect(ticketAfter).toEqual({
      ...ticketBefore,
      subject: '[erased]',
      messages: ticketBefore.messages.map((message) => (message.author === 'partner' ? { ...message, body: '[erased]' } : message)),
    });
    expect(ticketAfter.messages.find((message) => message.author === 'staff')?.body).toBe(STAFF_REPLY);
    expect(await notices(partnerId)).toEqual(
      noticesBefore.map((notice) => ({ ...notice, subject: '[erased]', summary: '[erased]', body_text: '[erased]', body_html: '[erased]' })),
    );
    for (const value of pii) expect(JSON.stringify([got, listed, exported])).not.toContain(value);
  });

  it('is idempotent: a second call changes nothing and says so', async () => {
    const partner = await createPartner(db, { status: 'rejected' });
    const first = await admin.partners.erase.mutate({ partnerId: partner.id });
    const audits = async () => (await db.select({ id: activity.id }).from(activity).where(and(eq(activity.entityId, partner.id), eq(activity.action, 'partner.erase')))).length;
    const second = await complianceOfficer.partners.erase.mutate({ partnerId: partner.id });
    expect(second).toEqual({ ...first, alreadyErased: true });
    expect(await audits()).toBe(1);
  });

  it('refuses to take new PII for an erased partner', async () => {
    const partner = await createPartner(db, { status: 'terminated', managerId });
    await admin.partners.erase.mutate({ partnerId: partner.id });
    await expect(admin.partners.update.mutate({ partnerId: partner.id, name: 'Back Again' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('was erased'),
    });
    await expect(manager.partners.addContact.mutate({ partnerId: partner.id, role: 'primary', name: 'Back Again' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
    });
    expect(await db.select({ id: contacts.id }).from(contacts).where(eq(contacts.partnerId, partner.id))).toEqual([]);
  });

  it("keeps other partners' acceptances, tickets and notifications untouched", async () => {
    const keep = await createPartner(db, { status: 'verified' });
    const erase = await createPartner(db, { status: 'rejected' });
    const ticket = await admin.tickets.create.mutate({ partnerId: keep.id, subject: 'Kept subject', body: 'Kept message' });
    await admin.tickets.reply.mutate({ id: ticket.id, body: 'Kept reply' });
    const keptNotices = await notices(keep.id);
    expect(keptNotices.length).toBeGreaterThan(0);
    await admin.tickets.create.mutate({ partnerId: erase.id, subject: 'Erased subject', body: 'Erased message' });
    await admin.partners.erase.mutate({ partnerId: erase.id });
    const [kept] = await db.select({ ip: agreementAcceptances.ipAddress }).from(agreementAcceptances).where(eq(agreementAcceptances.partnerId, keep.id));
    expect(kept).toEqual({ ip: '203.0.113.7' });
    expect(await admin.tickets.get.query({ id: ticket.id })).toMatchObject({
      subject: 'Kept subject',
      messages: [expect.objectContaining({ body: 'Kept message' }), expect.objectContaining({ body: 'Kept reply' })],
    });
    expect(await notices(keep.id)).toEqual(keptNotices);
  });
});

describe('contacts', () => {
  it('keeps several contacts per partner, ordered by role, and removes one', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId });
    const primary = await manager.partners.addContact.mutate({ partnerId: partner.id, role: 'primary', name: 'Pat Primary', email: 'pat@example.com' });
    await manager.partners.addContact.mutate({ partnerId: partner.id, role: 'technical', name: 'Tess Tech', phone: '+1 555 0101' });
    await manager.partners.addContact.mutate({ partnerId: partner.id, role: 'billing', name: 'Bill Ing' });
    expect((await manager.partners.contacts.query({ partnerId: partner.id })).map((contact) => [contact.role, contact.name])).toEqual([
      ['primary', 'Pat Primary'],
      ['billing', 'Bill Ing'],
      ['technical', 'Tess Tech'],
    ]);
    await manager.partners.removeContact.mutate({ contactId: primary.id });
    expect((await manager.partners.contacts.query({ partnerId: partner.id })).map((contact) => contact.role)).toEqual(['billing', 'technical']);
    await expect(manager.partners.removeContact.mutate({ contactId: primary.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('validates contact fields and names the bad one', async () => {
    const partner = await createPartner(db, { status: 'active', program, managerId });
    await expect(manager.partners.addContact.mutate({ partnerId: partner.id, role: 'primary', name: 'X', email: 'nope' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { email: expect.any(Array) } },
    });
    await expect(manager.partners.addContact.mutate({ partnerId: partner.id, role: 'owner' as 'primary', name: 'X' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { role: expect.any(Array) } },
    });
  });
});

describe('payout setup', () => {
  it('validates the details each method needs and the tax form against the tax country', async () => {
    const partner = await createPartner(db, { status: 'enrolled', program });
    await expect(admin.partners.completeSetup.mutate({ partnerId: partner.id, ...samplePayout, taxCountry: 'DE' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST', fieldErrors: { taxForm: [expect.stringContaining('W-9')] } },
    });
    await expect(
      admin.partners.completeSetup.mutate({ partnerId: partner.id, method: 'wire', details: { accountHolder: 'A', iban: 'nope', bic: 'DEUTDEFF' }, taxForm: 'w8ben', taxCountry: 'DE' }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST', fieldErrors: { 'details.iban': expect.any(Array) } } });
    await expect(
      admin.partners.completeSetup.mutate({ partnerId: partner.id, method: 'wire', details: { accountHolder: 'A', iban: 'DE89 3704 0044 0532 0130 00', bic: 'deutdeff' }, taxForm: 'w8ben', taxCountry: 'de' }),
    ).resolves.toMatchObject({ toStatus: 'setup_complete' });
  });

  it('gives the same fingerprint to the same payout identity however it is written', async () => {
    const [one, two] = [await createPartner(db, { status: 'enrolled', program }), await createPartner(db, { status: 'enrolled', program })];
    await admin.partners.completeSetup.mutate({ partnerId: one.id, method: 'paypal', details: { email: 'Same.Person@Example.com' }, taxForm: 'w9', taxCountry: 'US' });
    await admin.partners.completeSetup.mutate({ partnerId: two.id, method: 'paypal', details: { email: ' same.person@example.com ' }, taxForm: 'w9', taxCountry: 'US' });
    const rows = await db
      .select({ fingerprint: partnerPayoutDetails.fingerprint })
      .from(partnerPayoutDetails)
      .where(sql`${partnerPayoutDetails.partnerId} in (${one.id}, ${two.id})`);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.fingerprint).toBe(rows[1]!.fingerprint);
  });
});
