import { createMongoAbility, type MongoQuery } from '@casl/ability';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { agreementAcceptances, agreementVersions } from '../db/schema/agreements.js';
import type { AppAbility } from '../server/auth/abilities.js';
import {
  acceptedCurrentAgreementSql,
  agreementStatus,
  currentAgreementAccepted,
  partnerRowAcceptedCurrentAgreementSql,
  recordAcceptance,
} from '../server/domain/agreements/acceptances.js';
import { currentAgreement, listAgreementVersions, publishAgreement } from '../server/domain/agreements/agreements.js';
import { pgErrorCode } from '../server/errors.js';
import { insertUser } from './helpers/factories/hierarchy.js';
import {
  callerFor,
  createProgram,
  factoryActor,
  insertPartnerRow,
  publishAgreement as publishTerms,
} from './helpers/factories/programs.js';
import { createTestDatabase } from './helpers/db.js';

const { db } = await createTestDatabase();
/** A database where no agreement is ever published. */
const empty = await createTestDatabase();

const admin = callerFor(['affiliate_admin']);
const accept = (partnerId: string, version: number, extra: { acceptedAt?: Date; ipAddress?: string } = {}) =>
  recordAcceptance(db, admin, { partnerId, version, userAgent: 'Mozilla/5.0', ipAddress: extra.ipAddress ?? '203.0.113.7', ...extra });

describe('publishing', () => {
  it('numbers versions one by one, also when published concurrently', async () => {
    const before = (await currentAgreement(db))?.version ?? 0;
    const published = await Promise.all(Array.from({ length: 6 }, () => publishTerms(db)));
    expect(published.map((version) => version.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6].map((n) => before + n));
    expect((await currentAgreement(db))?.version).toBe(before + 6);

    const page = await listAgreementVersions(db, { limit: 2 });
    expect(page.items.map((version) => version.version)).toEqual([before + 6, before + 5]);
    const next = await listAgreementVersions(db, { limit: 2, cursor: page.nextCursor! });
    expect(next.items.map((version) => version.version)).toEqual([before + 4, before + 3]);
  });

  it('refuses to publish the same title and body again', async () => {
    const current = await publishTerms(db);
    await expect(
      publishAgreement(db, factoryActor, { title: current.title, body: current.body, requiresReacceptance: false }),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { current: current.version } });
  });

  it('keeps published terms immutable in the database', async () => {
    const current = await publishTerms(db);
    for (const attempt of [
      sql`update ${agreementVersions} set body = 'changed' where ${agreementVersions.id} = ${current.id}`,
      sql`delete from ${agreementVersions} where ${agreementVersions.id} = ${current.id}`,
    ]) {
      const error = await db.execute(attempt).then(() => null, (caught: unknown) => caught);
      expect(pgErrorCode(error)).toBe('42501');
    }
    const [row] = await db.select({ body: agreementVersions.body }).from(agreementVersions).where(eq(agreementVersions.id, current.id));
    expect(row?.body).toBe(current.body);
  });
});

describe('recording acceptances', () => {
  it('records the current version with time, IP and user agent, once', async () => {
    const current = await publishTerms(db);
    const partnerId = await insertPartnerRow(db, { status: 'enrolled' });
    const acceptedAt = new Date(current.publishedAt.getTime() + 1);
    const first = await accept(partnerId, current.version, { acceptedAt, ipAddress: '2001:db8::1' });
    expect(first).toMatchObject({
      partnerId,
      version: current.version,
      acceptedAt,
      ipAddress: '2001:db8::1',
      userAgent: 'Mozilla/5.0',
      recordedBy: admin.actor.userId,
      alreadyRecorded: false,
    });
    const again = await accept(partnerId, current.version);
    expect(again).toMatchObject({ id: first.id, acceptedAt, ipAddress: '2001:db8::1', alreadyRecorded: true });

    const audit = await db.select({ action: activity.action }).from(activity).where(eq(activity.entityId, first.id));
    expect(audit).toEqual([{ action: 'agreement.accept' }]);
  });

  it('refuses an older version as a CONFLICT naming the current one, and an unknown one as NOT_FOUND', async () => {
    const older = await publishTerms(db);
    const current = await publishTerms(db, { requiresReacceptance: false });
    const partnerId = await insertPartnerRow(db);
    await expect(accept(partnerId, older.version)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { current: current.version, requested: older.version },
    });
    await expect(accept(partnerId, current.version + 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses partners that are missing, rejected, terminated or erased', async () => {
    const current = await publishTerms(db);
    await expect(accept('00000000-0000-4000-8000-000000000000', current.version)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const status of ['rejected', 'terminated'] as const) {
      const partnerId = await insertPartnerRow(db, { status });
      await expect(accept(partnerId, current.version)).rejects.toMatchObject({ code: 'CONFLICT', details: { current: status } });
    }
    const erased = await insertPartnerRow(db, { erased: true });
    await expect(accept(erased, current.version)).rejects.toMatchObject({ code: 'CONFLICT', details: { current: 'erased' } });
  });

  it('refuses an acceptance dated before the version was published', async () => {
    const current = await publishTerms(db);
    const partnerId = await insertPartnerRow(db);
    await expect(accept(partnerId, current.version, { acceptedAt: new Date(current.publishedAt.getTime() - 60_000) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/acceptedAt/),
    });
  });

  it('lets a partner manager record acceptances only for partners they manage', async () => {
    const current = await publishTerms(db);
    const managerId = await insertUser(db, { roles: ['partner_manager'] });
    const manager = callerFor(['partner_manager'], managerId);
    const own = await insertPartnerRow(db, { managerId });
    const other = await insertPartnerRow(db, { managerId: await insertUser(db) });
    await expect(recordAcceptance(db, manager, { partnerId: own, version: current.version })).resolves.toMatchObject({ alreadyRecorded: false });
    await expect(recordAcceptance(db, manager, { partnerId: other, version: current.version })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/only partners you manage/),
    });
    for (const role of ['program_manager', 'compliance_officer'] as const) {
      await expect(recordAcceptance(db, callerFor([role]), { partnerId: own, version: current.version })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
  });
});

describe('currentAgreementAccepted', () => {
  it('counts an earlier acceptance until a version requires re-acceptance', async () => {
    const binding = await publishTerms(db, { requiresReacceptance: true });
    const early = await insertPartnerRow(db);
    const late = await insertPartnerRow(db);
    const never = await insertPartnerRow(db);
    await accept(early, binding.version);
    expect(await currentAgreementAccepted(db, early)).toBe(true);
    expect(await currentAgreementAccepted(db, never)).toBe(false);

    const editorial = await publishTerms(db, { requiresReacceptance: false });
    await accept(late, editorial.version);
    expect([await currentAgreementAccepted(db, early), await currentAgreementAccepted(db, late)]).toEqual([true, true]);

    await publishTerms(db, { requiresReacceptance: false });
    expect([await currentAgreementAccepted(db, early), await currentAgreementAccepted(db, late)]).toEqual([true, true]);

    const reset = await publishTerms(db, { requiresReacceptance: true });
    expect([await currentAgreementAccepted(db, early), await currentAgreementAccepted(db, late)]).toEqual([false, false]);
    await accept(late, reset.version);
    expect([await currentAgreementAccepted(db, early), await currentAgreementAccepted(db, late)]).toEqual([false, true]);
  });

  it('is false while no agreement has been published, and for an unknown partner', async () => {
    const partnerId = await insertPartnerRow(empty.db);
    expect(await currentAgreementAccepted(empty.db, partnerId)).toBe(false);
    expect(await currentAgreementAccepted(db, '00000000-0000-4000-8000-000000000000')).toBe(false);
  });
});

describe("the partner row's accepted agreement version", () => {
  /** Per partner, in order: the kept version, and "accepted the current agreement" by the lookup and by the row. */
  const answers = async (partnerIds: string[]) =>
    (
      await db.execute<{ version: number | null; lookup: boolean; row: boolean }>(sql`
        select partners.accepted_agreement_version as version, ${acceptedCurrentAgreementSql(sql`partners.id`)} as lookup,
          ${partnerRowAcceptedCurrentAgreementSql} as row
        from unnest(${sql.param(partnerIds)}::uuid[]) with ordinality k(id, n) join partners on partners.id = k.id
        order by k.n`)
    ).rows;
  const acceptance = (partnerId: string, agreementVersionId: string) => ({
    partnerId,
    agreementVersionId,
    acceptedAt: new Date(),
    recordedBy: 'test',
  });

  it('follows acceptances recorded, inserted in bulk and deleted, and answers as the lookup does', async () => {
    const binding = await publishTerms(db, { requiresReacceptance: true });
    const [recorded, bulk, older] = [await insertPartnerRow(db), await insertPartnerRow(db), await insertPartnerRow(db)];
    await accept(recorded, binding.version);
    const editorial = await publishTerms(db, { requiresReacceptance: false });
    // One statement, two partners, one of them twice: the later version is kept whatever the row order.
    await db
      .insert(agreementAcceptances)
      .values([acceptance(bulk, editorial.id), acceptance(bulk, binding.id), acceptance(older, binding.id)]);
    expect(await answers([recorded, bulk, older])).toEqual([
      { version: binding.version, lookup: true, row: true },
      { version: editorial.version, lookup: true, row: true },
      { version: binding.version, lookup: true, row: true },
    ]);

    const reset = await publishTerms(db, { requiresReacceptance: true });
    await accept(older, reset.version);
    expect(await answers([recorded, bulk, older])).toEqual([
      { version: binding.version, lookup: false, row: false },
      { version: editorial.version, lookup: false, row: false },
      { version: reset.version, lookup: true, row: true },
    ]);

    await db
      .delete(agreementAcceptances)
      .where(and(eq(agreementAcceptances.partnerId, older), eq(agreementAcceptances.agreementVersionId, reset.id)));
    await db.delete(agreementAcceptances).where(eq(agreementAcceptances.partnerId, recorded));
    expect(await answers([recorded, bulk, older])).toEqual([
      { version: null, lookup: false, row: false },
      { version: editorial.version, lookup: false, row: false },
      { version: binding.version, lookup: false, row: false },
    ]);
  });

  it("refuses to move an acceptance to another partner or version, or to change when and by whom it was recorded; erasure's update passes", async () => {
    const version = await publishTerms(db, { requiresReacceptance: true });
    const [partnerId, other] = [await insertPartnerRow(db), await insertPartnerRow(db)];
    const { id } = await accept(partnerId, version.version);
    const older = await db
      .select({ id: agreementVersions.id })
      .from(agreementVersions)
      .where(sql`${agreementVersions.version} < ${version.version}`)
      .limit(1);
    const rewrites = {
      partnerId: other,
      agreementVersionId: older[0]!.id,
      acceptedAt: new Date('2020-01-01T00:00:00Z'),
      recordedBy: 'someone-else',
      recordedAt: new Date('2020-01-01T00:00:00Z'),
    };
    for (const [column, value] of Object.entries(rewrites)) {
      const error = await db
        .update(agreementAcceptances)
        .set({ [column]: value })
        .where(eq(agreementAcceptances.id, id))
        .then(() => null, (caught: unknown) => caught);
      expect(pgErrorCode(error), column).toBe('42501');
    }
    await db.update(agreementAcceptances).set({ ipAddress: null, userAgent: null }).where(eq(agreementAcceptances.id, id));
    const [row] = await db.select().from(agreementAcceptances).where(eq(agreementAcceptances.id, id));
    expect(row).toMatchObject({ partnerId, ipAddress: null, userAgent: null });
    expect(await answers([partnerId, other])).toEqual([
      { version: version.version, lookup: true, row: true },
      { version: null, lookup: false, row: false },
    ]);
  });

  it('is false for every partner while no agreement has been published', async () => {
    const partnerId = await insertPartnerRow(empty.db);
    const [row] = (
      await empty.db.execute<{ row: boolean }>(sql`select ${partnerRowAcceptedCurrentAgreementSql} as row from partners where id = ${partnerId}`)
    ).rows;
    expect(row).toEqual({ row: false });
  });
});

describe('agreement status', () => {
  it('lists who has not accepted the current version, with counts, filtered by program and status', async () => {
    const program = await createProgram(db);
    const inProgram = (status: Parameters<typeof insertPartnerRow>[1] = {}) => insertPartnerRow(db, { programId: program.id, ...status });
    const binding = await publishTerms(db);
    const accepted = await inProgram();
    const acceptedEarlier = await inProgram({ status: 'suspended' });
    await accept(acceptedEarlier, binding.version);
    const editorial = await publishTerms(db, { requiresReacceptance: false });
    await accept(accepted, editorial.version);
    const pending = [await inProgram({ status: 'enrolled' }), await inProgram({ status: 'active' }), await inProgram({ status: 'suspended' })];
    await inProgram({ status: 'terminated' });
    await inProgram({ status: 'rejected' });
    await inProgram({ erased: true });

    const status = await agreementStatus(db, admin.ability, { programId: program.id, limit: 50 });
    expect(status).toMatchObject({
      currentVersion: editorial.version,
      requiredVersion: binding.version,
      counts: { partners: 5, accepted: 2, notAccepted: 3 },
      nextCursor: null,
    });
    expect(status.items.map((item) => item.id)).toEqual(pending);
    expect(status.items[0]).toEqual({ id: pending[0], status: 'enrolled', programId: program.id, lastAcceptedVersion: null });

    const suspended = await agreementStatus(db, admin.ability, { programId: program.id, status: 'suspended', limit: 50 });
    expect(suspended.counts).toEqual({ partners: 2, accepted: 1, notAccepted: 1 });
    expect(suspended.items.map((item) => item.id)).toEqual([pending[2]]);

    const terminated = await agreementStatus(db, admin.ability, { programId: program.id, status: 'terminated', limit: 50 });
    expect(terminated.counts).toEqual({ partners: 1, accepted: 0, notAccepted: 1 });

    const first = await agreementStatus(db, admin.ability, { programId: program.id, limit: 2 });
    const second = await agreementStatus(db, admin.ability, { programId: program.id, limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((item) => item.id)).toEqual(pending);
    expect(second.nextCursor).toBeNull();

    await publishTerms(db, { requiresReacceptance: true });
    const reset = await agreementStatus(db, admin.ability, { programId: program.id, limit: 50 });
    expect(reset.counts).toEqual({ partners: 5, accepted: 0, notAccepted: 5 });
    expect(reset.items.find((item) => item.id === accepted)?.lastAcceptedVersion).toBe(editorial.version);
  });

  it('narrows the list to the partners the caller may read', async () => {
    const program = await createProgram(db);
    await publishTerms(db);
    const managerId = await insertUser(db, { roles: ['partner_manager'] });
    const mine = await insertPartnerRow(db, { programId: program.id, managerId });
    await insertPartnerRow(db, { programId: program.id, managerId: await insertUser(db) });
    await insertPartnerRow(db, { programId: program.id });
    // A rule that reads only managed partners, as a narrower role might have.
    const narrow = createMongoAbility([
      { action: 'read', subject: 'Partner', conditions: { managerId } as MongoQuery },
    ]) as unknown as AppAbility;
    const status = await agreementStatus(db, narrow, { programId: program.id, limit: 50 });
    expect(status.counts).toEqual({ partners: 1, accepted: 0, notAccepted: 1 });
    expect(status.items.map((item) => item.id)).toEqual([mine]);

    const wide = await agreementStatus(db, callerFor(['program_manager']).ability, { programId: program.id, limit: 50 });
    expect(wide.counts.partners).toBe(3);
  });

  it('reports every partner as not accepted while no agreement exists', async () => {
    const program = await createProgram(empty.db);
    await insertPartnerRow(empty.db, { programId: program.id });
    const status = await agreementStatus(empty.db, admin.ability, { programId: program.id, limit: 50 });
    expect(status).toMatchObject({ currentVersion: null, requiredVersion: null, counts: { partners: 1, accepted: 0, notAccepted: 1 } });
  });
});
