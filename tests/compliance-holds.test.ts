import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { openHold } from '../server/domain/compliance/holds.js';
import { insertUser } from './helpers/factories/hierarchy.js';
import { factoryActor, insertPartnerRow } from './helpers/factories/programs.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const officerId = await insertUser(db, { roles: ['compliance_officer'] });
const admin = await server.client(['affiliate_admin']);
const officer = await server.client(['compliance_officer'], { sub: officerId });
const manager = await server.client(['partner_manager']);
const programManager = await server.client(['program_manager']);

describe('holds', () => {
  it('places, lists and releases holds; releasing twice is a CONFLICT', async () => {
    const partnerId = await insertPartnerRow(db, { status: 'suspended' });
    const compliance = await officer.compliance.placeHold.mutate({ partnerId, kind: 'compliance', reason: 'W-9 missing' });
    expect(compliance).toMatchObject({ partnerId, kind: 'compliance', source: 'manual', createdBy: officerId, releasedAt: null });
    await expect(officer.compliance.placeHold.mutate({ partnerId, kind: 'compliance', reason: 'again' })).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { holdId: compliance.id } },
    });
    const fraud = await officer.compliance.placeHold.mutate({ partnerId, kind: 'fraud', reason: 'Click burst from one IP' });

    const open = await manager.compliance.holds.query({ partnerId, limit: 10 });
    expect(open.items.map((hold) => hold.id)).toEqual([fraud.id, compliance.id]);

    const released = await officer.compliance.releaseHold.mutate({ holdId: compliance.id, reason: 'W-9 received and approved' });
    expect(released).toMatchObject({ id: compliance.id, releasedBy: officerId, releasedAt: expect.any(Date) });
    const error = await officer.compliance.releaseHold.mutate({ holdId: compliance.id, reason: 'again' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ data: { code: 'CONFLICT', details: { current: 'released', requested: 'released' } } });
    expect((error as Error).message).toMatch(/is released \(at .* by .*\); it cannot be released again/);

    expect((await officer.compliance.holds.query({ partnerId, limit: 10 })).items.map((hold) => hold.id)).toEqual([fraud.id]);
    const all = await officer.compliance.holds.query({ partnerId, state: 'all', limit: 1 });
    const rest = await officer.compliance.holds.query({ partnerId, state: 'all', limit: 1, cursor: all.nextCursor! });
    expect([...all.items, ...rest.items].map((hold) => hold.id)).toEqual([fraud.id, compliance.id]);
    expect(rest.nextCursor).toBeNull();

    // After release the same kind may be held again.
    await expect(officer.compliance.placeHold.mutate({ partnerId, kind: 'compliance', reason: 'New tax year' })).resolves.toMatchObject({
      releasedAt: null,
    });

    const audit = await db
      .select({ action: activity.action, after: activity.after })
      .from(activity)
      .where(and(eq(activity.entityType, 'partner_hold'), eq(activity.entityId, compliance.id)))
      .orderBy(activity.id);
    expect(audit.map((entry) => entry.action)).toEqual(['hold.place', 'hold.release']);
    expect(audit[1]!.after).toMatchObject({ releasedBy: officerId, releaseReason: 'W-9 received and approved' });
  });

  it('lists the open holds of every partner newest first', async () => {
    const [first, second] = [await insertPartnerRow(db), await insertPartnerRow(db)];
    const older = await admin.compliance.placeHold.mutate({ partnerId: first!, kind: 'fraud', reason: 'one' });
    const newer = await admin.compliance.placeHold.mutate({ partnerId: second!, kind: 'compliance', reason: 'two' });
    const page = await officer.compliance.holds.query({ limit: 2 });
    expect(page.items.map((hold) => hold.id)).toEqual([newer.id, older.id]);
  });

  it('lets automation open a hold per source idempotently', async () => {
    const partnerId = await insertPartnerRow(db);
    const source = `fraud_flag:${randomUUID()}`;
    const first = await db.transaction((tx) => openHold(tx, factoryActor, { partnerId, kind: 'fraud', reason: 'rule hit', source }));
    const again = await db.transaction((tx) => openHold(tx, factoryActor, { partnerId, kind: 'fraud', reason: 'rule hit', source }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ hold: first.hold, created: false });
    const manual = await officer.compliance.placeHold.mutate({ partnerId, kind: 'fraud', reason: 'manual review' });
    expect(manual.id).not.toBe(first.hold.id);
  });

  it('reports a missing partner or hold as NOT_FOUND and a bad kind as BAD_REQUEST', async () => {
    await expect(officer.compliance.placeHold.mutate({ partnerId: randomUUID(), kind: 'fraud', reason: 'x' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    await expect(officer.compliance.releaseHold.mutate({ holdId: randomUUID(), reason: 'x' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const partnerId = await insertPartnerRow(db);
    await expect(officer.compliance.placeHold.mutate({ partnerId, kind: 'tax' as never, reason: 'x' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/kind:/),
    });
  });
});

describe('who may do what with holds', () => {
  it('lets only compliance officers and admins place and release holds', async () => {
    const partnerId = await insertPartnerRow(db);
    for (const outsider of [manager, programManager]) {
      await expect(outsider.compliance.placeHold.mutate({ partnerId, kind: 'compliance', reason: 'x' })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    const hold = await admin.compliance.placeHold.mutate({ partnerId, kind: 'compliance', reason: 'admin hold' });
    for (const outsider of [manager, programManager]) {
      await expect(outsider.compliance.releaseHold.mutate({ holdId: hold.id, reason: 'x' })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    await expect(admin.compliance.releaseHold.mutate({ holdId: hold.id, reason: 'cleared' })).resolves.toMatchObject({ id: hold.id });
  });

  it('lets partner managers read holds, not program managers', async () => {
    await expect(manager.compliance.holds.query({ limit: 1 })).resolves.toHaveProperty('items');
    await expect(programManager.compliance.holds.query({ limit: 1 })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});
