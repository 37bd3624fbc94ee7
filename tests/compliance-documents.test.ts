import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { complianceDocuments } from '../db/schema/compliance.js';
import { rollupDrift } from '../server/domain/analytics/drift.js';
import { hasValidDocumentSql, partnerRowHasValidDocumentSql } from '../server/domain/compliance-jobs/required-documents.js';
import { todayUtc } from '../server/domain/compliance/schemas.js';
import { insertUser } from './helpers/factories/hierarchy.js';
import { insertPartnerRow, sha256, submitTestDocument } from './helpers/factories/programs.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const managerId = await insertUser(db, { roles: ['partner_manager'] });
const officerId = await insertUser(db, { roles: ['compliance_officer'] });
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const officer = await server.client(['compliance_officer'], { sub: officerId });

function daysFromToday(days: number): string {
  const date = new Date(`${todayUtc()}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const document = (partnerId: string, extra: Record<string, string> = {}) => ({
  partnerId,
  kind: 'w9' as const,
  reference: `s3://documents/${randomUUID()}.pdf`,
  checksum: sha256(randomUUID()),
  issuedOn: daysFromToday(-30),
  expiresOn: daysFromToday(335),
  ...extra,
});

const errorOf = (promise: Promise<unknown>) => promise.then(() => null, (caught: { message: string; data: { code: string } }) => caught);

describe('document review flow', () => {
  it('takes a document from submission to approval, once', async () => {
    const partnerId = await insertPartnerRow(db, { managerId });
    const submitted = await manager.compliance.submitDocument.mutate(document(partnerId));
    expect(submitted).toMatchObject({ partnerId, kind: 'w9', status: 'pending', submittedBy: managerId, reviewedAt: null });

    const approved = await officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'approve' });
    expect(approved).toMatchObject({ status: 'approved', reviewedBy: officerId, reviewReason: null });

    for (const decision of ['approve', 'reject'] as const) {
      const error = await errorOf(officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision, reason: 'again' }));
      expect(error?.data.code).toBe('CONFLICT');
      expect(error?.message).toBe(`Document is approved; it cannot become ${decision === 'approve' ? 'approved' : 'rejected'}`);
    }
    const audit = await db
      .select({ action: activity.action, actorId: activity.actorId })
      .from(activity)
      .where(and(eq(activity.entityType, 'compliance_document'), eq(activity.entityId, submitted.id)))
      .orderBy(activity.id);
    expect(audit).toEqual([
      { action: 'document.submit', actorId: managerId },
      { action: 'document.approve', actorId: officerId },
    ]);
  });

  it('rejects only with a reason, and a rejected document stays rejected', async () => {
    const partnerId = await insertPartnerRow(db, { managerId });
    const submitted = await manager.compliance.submitDocument.mutate(document(partnerId, { kind: 'identity' }));
    await expect(officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'reject' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringMatching(/reason: is required to reject a document/),
    });
    const rejected = await officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'reject', reason: 'Name is illegible' });
    expect(rejected).toMatchObject({ status: 'rejected', reviewReason: 'Name is illegible' });
    await expect(officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'approve' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'Document is rejected; it cannot become approved',
    });
  });

  it('refuses to approve a document that expired while it waited', async () => {
    const partnerId = await insertPartnerRow(db);
    const [stale] = await db
      .insert(complianceDocuments)
      .values({ partnerId, kind: 'identity', reference: 'ref', checksum: sha256('stale'), expiresOn: daysFromToday(-1), submittedBy: 'test' })
      .returning({ id: complianceDocuments.id });
    await expect(officer.compliance.reviewDocument.mutate({ documentId: stale!.id, decision: 'approve' })).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { current: 'expired', requested: 'approved' } },
    });
    await expect(officer.compliance.reviewDocument.mutate({ documentId: stale!.id, decision: 'reject', reason: 'expired' })).resolves.toMatchObject({
      status: 'rejected',
    });
  });

  it('refuses the same file twice while the first waits for review', async () => {
    const partnerId = await insertPartnerRow(db);
    const first = await admin.compliance.submitDocument.mutate(document(partnerId));
    const again = { ...document(partnerId), checksum: first.checksum.toUpperCase() };
    await expect(admin.compliance.submitDocument.mutate(again)).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { documentId: first.id } },
    });
    await officer.compliance.reviewDocument.mutate({ documentId: first.id, decision: 'reject', reason: 'wrong year' });
    await expect(admin.compliance.submitDocument.mutate(again)).resolves.toMatchObject({ status: 'pending', checksum: first.checksum });
  });

  it('names the field of a bad submission', async () => {
    const partnerId = await insertPartnerRow(db);
    const cases: [Record<string, string>, RegExp][] = [
      [{ expiresOn: daysFromToday(-40) }, /expiresOn: must be after issuedOn/],
      [{ issuedOn: daysFromToday(-10), expiresOn: daysFromToday(-1) }, /expiresOn: the document has already expired/],
      [{ issuedOn: daysFromToday(2) }, /issuedOn: must not be in the future/],
      [{ expiresOn: '2030-02-30' }, /expiresOn: must be a date as YYYY-MM-DD/],
      [{ checksum: 'abc' }, /checksum: must be a SHA-256 digest/],
      [{ kind: 'passport' }, /kind:/],
      [{ partnerId: 'nope' }, /partnerId:/],
    ];
    for (const [change, message] of cases) {
      const error = await errorOf(admin.compliance.submitDocument.mutate(document(partnerId, change) as never));
      expect({ change, code: error?.data.code, message: error?.message }).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(message) });
    }
    await expect(admin.compliance.submitDocument.mutate(document(randomUUID()))).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    const erased = await insertPartnerRow(db, { erased: true });
    await expect(admin.compliance.submitDocument.mutate(document(erased))).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { current: 'erased' } },
    });
    await expect(officer.compliance.reviewDocument.mutate({ documentId: randomUUID(), decision: 'approve' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });
});

describe('listing documents', () => {
  it('filters by partner, kind, status and expiry window, page by page', async () => {
    const partnerId = await insertPartnerRow(db);
    const soon = await submitTestDocument(db, partnerId, { kind: 'identity', expiresOn: daysFromToday(10) });
    const today = await submitTestDocument(db, partnerId, { kind: 'w8ben', expiresOn: daysFromToday(0) });
    const later = await submitTestDocument(db, partnerId, { kind: 'identity', expiresOn: daysFromToday(90) });
    const open = await submitTestDocument(db, partnerId, { kind: 'other' });
    await officer.compliance.reviewDocument.mutate({ documentId: soon.id, decision: 'approve' });
    const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

    expect(ids(await officer.compliance.documents.query({ partnerId, limit: 50 }))).toEqual([open.id, later.id, today.id, soon.id]);
    expect(ids(await officer.compliance.documents.query({ partnerId, kind: 'identity', limit: 50 }))).toEqual([later.id, soon.id]);
    expect(ids(await officer.compliance.documents.query({ partnerId, status: 'approved', limit: 50 }))).toEqual([soon.id]);
    expect(ids(await officer.compliance.documents.query({ partnerId, expiringWithinDays: 30, limit: 50 }))).toEqual([today.id, soon.id]);
    expect(ids(await officer.compliance.documents.query({ partnerId, expiringWithinDays: 0, limit: 50 }))).toEqual([today.id]);
    expect(ids(await officer.compliance.documents.query({ partnerId, expiringWithinDays: 30, status: 'approved', limit: 50 }))).toEqual([soon.id]);

    const first = await manager.compliance.documents.query({ partnerId, limit: 3 });
    const second = await manager.compliance.documents.query({ partnerId, limit: 3, cursor: first.nextCursor! });
    expect([...ids(first), ...ids(second)]).toEqual([open.id, later.id, today.id, soon.id]);
    expect(second.nextCursor).toBeNull();
  });
});

describe('who may do what with documents', () => {
  it('lets a partner manager submit only for partners they manage, and neither officer nor program manager submit', async () => {
    const other = await insertPartnerRow(db, { managerId: await insertUser(db) });
    await expect(manager.compliance.submitDocument.mutate(document(other))).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
      message: expect.stringMatching(/only partners you manage/),
    });
    for (const outsider of [officer, programManager]) {
      await expect(outsider.compliance.submitDocument.mutate(document(other))).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
    await expect(admin.compliance.submitDocument.mutate(document(other))).resolves.toMatchObject({ status: 'pending' });
  });

  it('lets only compliance officers and admins review', async () => {
    const partnerId = await insertPartnerRow(db, { managerId });
    const submitted = await submitTestDocument(db, partnerId);
    for (const outsider of [manager, programManager]) {
      await expect(outsider.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'approve' })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    await expect(admin.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'approve' })).resolves.toMatchObject({
      status: 'approved',
    });
  });

  it('lets partner managers, compliance officers and admins list documents, not program managers', async () => {
    for (const reader of [admin, manager, officer]) {
      await expect(reader.compliance.documents.query({ limit: 1 })).resolves.toHaveProperty('items');
    }
    await expect(programManager.compliance.documents.query({ limit: 1 })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});

describe("the partner row's document validity", () => {
  /** Per partner, in order: the kept validity, and "holds a valid W-9 on `day`" by the lookup and by the row. */
  const answers = async (partnerIds: string[], day = todayUtc()) =>
    (
      await db.execute<{ kept: Record<string, string>; lookup: boolean; row: boolean }>(sql`
        select partners.documents_valid_until as kept, ${hasValidDocumentSql(sql`partners.id`, sql`'w9'`, day)} as lookup,
          ${partnerRowHasValidDocumentSql('w9', day)} as row
        from unnest(${sql.param(partnerIds)}::uuid[]) with ordinality k(id, n) join partners on partners.id = k.id
        order by k.n`)
    ).rows;
  const stored = (partnerId: string, extra: Partial<typeof complianceDocuments.$inferInsert> = {}) => ({
    partnerId,
    kind: 'w9' as const,
    reference: `s3://documents/${randomUUID()}.pdf`,
    checksum: sha256(randomUUID()),
    status: 'approved' as const,
    reviewedAt: new Date(),
    reviewedBy: officerId,
    submittedBy: officerId,
    ...extra,
  });

  it('follows review, bulk inserts, updates and deletes, and answers as the lookup does', async () => {
    const [reviewed, bulk, other] = [await insertPartnerRow(db), await insertPartnerRow(db), await insertPartnerRow(db)];
    const submitted = await admin.compliance.submitDocument.mutate(document(reviewed, { expiresOn: daysFromToday(10) }));
    expect(await answers([reviewed])).toEqual([{ kept: {}, lookup: false, row: false }]);
    await officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'approve' });
    expect(await answers([reviewed])).toEqual([{ kept: { w9: daysFromToday(10) }, lookup: true, row: true }]);
    // Valid through the expiry date, not after.
    expect(await answers([reviewed], daysFromToday(10))).toMatchObject([{ lookup: true, row: true }]);
    expect(await answers([reviewed], daysFromToday(11))).toMatchObject([{ lookup: false, row: false }]);

    // One statement, two partners: the latest expiry of a kind counts, one that never expires beats any date, a
    // rejected or pending document counts for nothing.
    await db.insert(complianceDocuments).values([
      stored(bulk, { expiresOn: daysFromToday(-5) }),
      stored(bulk, { expiresOn: daysFromToday(40) }),
      stored(bulk, { kind: 'identity', expiresOn: daysFromToday(-1) }),
      stored(other, { expiresOn: daysFromToday(3) }),
      stored(other, { expiresOn: null }),
      stored(other, { kind: 'identity', status: 'rejected', reviewReason: 'unreadable' }),
      stored(other, { kind: 'w8ben', status: 'pending', reviewedAt: null, reviewedBy: null }),
    ]);
    expect(await answers([reviewed, bulk, other])).toEqual([
      { kept: { w9: daysFromToday(10) }, lookup: true, row: true },
      { kept: { w9: daysFromToday(40), identity: daysFromToday(-1) }, lookup: true, row: true },
      { kept: { w9: 'infinity' }, lookup: true, row: true },
    ]);
    expect(await answers([bulk], daysFromToday(41))).toMatchObject([{ lookup: false, row: false }]);

    // An update moves what it touches (here: one partner's latest W-9 now expired); deletes clear.
    await db
      .update(complianceDocuments)
      .set({ expiresOn: daysFromToday(-2) })
      .where(and(eq(complianceDocuments.partnerId, bulk), eq(complianceDocuments.expiresOn, daysFromToday(40))));
    await db.delete(complianceDocuments).where(eq(complianceDocuments.partnerId, other));
    expect(await answers([reviewed, bulk, other])).toEqual([
      { kept: { w9: daysFromToday(10) }, lookup: true, row: true },
      { kept: { w9: daysFromToday(-2), identity: daysFromToday(-1) }, lookup: false, row: false },
      { kept: {}, lookup: false, row: false },
    ]);
    expect((await rollupDrift(db)).filter((drift) => drift.rollup === 'documents_valid_until')).toEqual([]);
  });

  it('writes the partner row only when its validity changes', async () => {
    const partnerId = await insertPartnerRow(db);
    const submitted = await admin.compliance.submitDocument.mutate(document(partnerId));
    const version = async () =>
      (await db.execute<{ xmin: string }>(sql`select xmin::text from partners where id = ${partnerId}`)).rows[0]!.xmin;
    const before = await version();
    await officer.compliance.reviewDocument.mutate({ documentId: submitted.id, decision: 'reject', reason: 'unreadable' });
    expect(await version()).toBe(before);
  });
});
