import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createPartner, createProgram, createStaffUser } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const manager = await createStaffUser(db, ['partner_manager']);
const program = await createProgram(db);
const otherProgram = await createProgram(db);
const managed = await createPartner(db, { programId: program.id, tier: 'Silver', managerId: manager.id });
const optedOut = await createPartner(db, { programId: program.id, tier: 'Gold' });
const third = await createPartner(db, { programId: program.id, tier: 'Gold' });
const suspended = await createPartner(db, { programId: program.id, tier: 'Gold', status: 'suspended', managerId: manager.id });
const elsewhere = await createPartner(db, { programId: otherProgram.id, tier: 'Gold', managerId: manager.id });

const programManager = await server.client(['program_manager']);
const partnerManager = await server.client(['partner_manager'], { sub: manager.id });
await (await server.client(['affiliate_admin'])).notifications.setPreferences.mutate({
  partnerId: optedOut.id,
  preferences: [{ kind: 'program_update', channel: 'email', enabled: false }],
});

async function notifiedFor(updateId: string) {
  const result = await db.execute<{ partner_id: string; channel: string }>(
    sql`select partner_id, channel from notifications where dedupe_key like ${`program_update:program-update:${updateId}:%`}`,
  );
  return result.rows.map((row) => `${row.partner_id}:${row.channel}`).sort();
}

describe('program updates', () => {
  it('publishes to the program’s active partners; an update to acknowledge reaches even those who opted out', async () => {
    const update = await programManager.programs.publishUpdate.mutate({
      programId: program.id,
      title: 'New payout schedule',
      body: 'Payouts move to the 5th of each month.',
      requiresAcknowledgment: true,
    });
    expect(update).toMatchObject({ programId: program.id, requiresAcknowledgment: true, recipients: 3, notifications: 6 });
    expect(await notifiedFor(update.id)).toEqual(
      [managed, optedOut, third].flatMap((partner) => [`${partner.id}:dashboard`, `${partner.id}:email`]).sort(),
    );
    const [email] = (
      await db.execute<{ subject: string; body_text: string }>(
        sql`select subject, body_text from notifications where partner_id = ${managed.id} and kind = 'program_update' and channel = 'email'`,
      )
    ).rows;
    expect(email!.subject).toBe(`${program.name}: New payout schedule`);
    expect(email!.body_text).toContain(`Please confirm you have read this update: http://localhost:3000/program-updates/${update.id}`);

    const news = await programManager.programs.publishUpdate.mutate({ programId: program.id, title: 'Webinar', body: 'Join us on Friday.' });
    expect(news).toMatchObject({ requiresAcknowledgment: false, recipients: 3, notifications: 5 });
    expect(await notifiedFor(news.id)).not.toContain(`${optedOut.id}:email`);
  });

  it('records acknowledgments once, on behalf of partners the caller may change', async () => {
    const update = await programManager.programs.publishUpdate.mutate({
      programId: program.id,
      title: 'Terms',
      body: 'Updated terms.',
      requiresAcknowledgment: true,
    });
    const first = await partnerManager.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: managed.id });
    expect(first).toMatchObject({ alreadyAcknowledged: false, acknowledgedAt: expect.any(Date) });
    const again = await partnerManager.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: managed.id });
    expect(again).toEqual({ ...first, alreadyAcknowledged: true });

    await expect(partnerManager.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: third.id })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await expect(partnerManager.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: elsewhere.id })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining('was not a recipient'),
    });
    await expect(partnerManager.programs.acknowledgeUpdate.mutate({ updateId: randomUUID(), partnerId: managed.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const audit = await db.execute(sql`select 1 from activity where action = 'program_update.acknowledge' and entity_id = ${update.id}`);
    expect(audit.rows).toHaveLength(1);
  });

  it('reports who has and has not acknowledged, with counts', async () => {
    const update = await programManager.programs.publishUpdate.mutate({ programId: program.id, title: 'Policy', body: 'New policy.', requiresAcknowledgment: true });
    const admin = await server.client(['affiliate_admin']);
    await admin.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: optedOut.id });
    await admin.programs.acknowledgeUpdate.mutate({ updateId: update.id, partnerId: third.id });

    const status = await programManager.programs.updateStatus.query({ updateId: update.id });
    expect(status.update).toMatchObject({ id: update.id, title: 'Policy' });
    expect(status.counts).toEqual({ recipients: 3, acknowledged: 2, pending: 1 });
    const pending = await programManager.programs.updateStatus.query({ updateId: update.id, acknowledged: false });
    expect(pending.partners.items).toEqual([expect.objectContaining({ partnerId: managed.id, acknowledgedAt: null })]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await programManager.programs.updateStatus.query({ updateId: update.id, acknowledged: true, limit: 1, cursor });
      seen.push(...page.partners.items.map((item) => item.partnerId));
      cursor = page.partners.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([optedOut.id, third.id].sort());
    expect(seen).not.toContain(suspended.id);
  });

  it('refuses an archived or unknown program, and callers who may not publish', async () => {
    const archived = await createProgram(db, { status: 'archived' });
    await expect(programManager.programs.publishUpdate.mutate({ programId: archived.id, title: 'T', body: 'B' })).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining('archived'),
    });
    await expect(programManager.programs.publishUpdate.mutate({ programId: randomUUID(), title: 'T', body: 'B' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(partnerManager.programs.publishUpdate.mutate({ programId: program.id, title: 'T', body: 'B' })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });
});
