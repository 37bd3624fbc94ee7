import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { partners } from '../db/schema/partners.js';
import { createTestDatabase } from './helpers/db.js';
import { insertPartner, insertProgram, insertTree, insertUser } from './helpers/factories/hierarchy.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerId = await insertUser(db, { roles: ['partner_manager'] });
const otherManagerId = await insertUser(db, { roles: ['partner_manager'] });
const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const complianceOfficer = await server.client(['compliance_officer']);

const parentOf = async (id: string) =>
  (await db.select({ parentId: partners.parentId }).from(partners).where(eq(partners.id, id)))[0]?.parentId;

describe('partners.setParent over HTTP', () => {
  it('lets a Partner Manager move a partner they manage, and refuses one they do not', async () => {
    const target = await insertPartner(db);
    const mine = await insertPartner(db, { managerId });
    const theirs = await insertPartner(db, { managerId: otherManagerId });
    await expect(manager.partners.setParent.mutate({ partnerId: mine, parentId: target })).resolves.toMatchObject({ parentId: target });
    await expect(manager.partners.setParent.mutate({ partnerId: theirs, parentId: target })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    expect(await parentOf(theirs)).toBeNull();
  });

  it('refuses Program Managers and Compliance Officers, and lets the admin move anyone', async () => {
    const [root, child] = await insertTree(db, [null, null]);
    for (const reader of [programManager, complianceOfficer]) {
      await expect(reader.partners.setParent.mutate({ partnerId: child!, parentId: root! })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    await admin.partners.setParent.mutate({ partnerId: child!, parentId: root! });
    expect(await parentOf(child!)).toBe(root);
  });

  it('answers a cycle and a too-deep move with CONFLICT naming the cause', async () => {
    const [top, , bottom] = await insertTree(db, [null, 0, 1]);
    await expect(admin.partners.setParent.mutate({ partnerId: top!, parentId: bottom! })).rejects.toMatchObject({
      data: { code: 'CONFLICT', httpStatus: 409 },
      message: expect.stringContaining('cycle'),
    });
    const programId = await insertProgram(db, { maxHierarchyDepth: 2 });
    const limited = await insertPartner(db, { programId });
    await expect(admin.partners.setParent.mutate({ partnerId: limited, parentId: bottom! })).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { maxHierarchyDepth: 2, resultingDepth: 3 } },
      message: expect.stringContaining('rules.maxHierarchyDepth = 2'),
    });
  });

  it('answers bad input with BAD_REQUEST naming the field, and a missing partner with NOT_FOUND', async () => {
    const partner = await insertPartner(db);
    await expect(admin.partners.setParent.mutate({ partnerId: 'nope', parentId: null })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('partnerId'),
    });
    await expect(admin.partners.setParent.mutate({ partnerId: partner, parentId: partner })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('parentId'),
    });
    const missing = '11111111-1111-4111-8111-111111111111';
    await expect(admin.partners.setParent.mutate({ partnerId: partner, parentId: missing })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringContaining(missing),
    });
  });
});

describe('partners.upline and partners.downline over HTTP', () => {
  it('show the chain and the downline by level to every staff role', async () => {
    const [root, a, b, a1] = await insertTree(db, [null, 0, 0, 1]);
    for (const reader of [admin, manager, programManager, complianceOfficer]) {
      const up = await reader.partners.upline.query({ partnerId: a1! });
      expect(up.items.map((item) => [item.level, item.id])).toEqual([
        [1, a],
        [2, root],
      ]);
      const down = await reader.partners.downline.query({ partnerId: root!, level: 1, limit: 1 });
      expect(down.levels).toEqual([
        { level: 1, count: 2 },
        { level: 2, count: 1 },
      ]);
      expect(down.total).toBe(3);
      expect(down.items).toHaveLength(1);
      const next = await reader.partners.downline.query({ partnerId: root!, level: 1, limit: 1, cursor: down.nextCursor! });
      expect([down.items[0]!.id, next.items[0]!.id].sort()).toEqual([a, b].sort());
      expect(next.nextCursor).toBeNull();
    }
  });

  it('hides names and emails from callers without PII access to that partner', async () => {
    const root = await insertPartner(db, { name: 'Root Person' });
    await insertPartner(db, { parentId: root, managerId, name: 'Managed Person' });
    await insertPartner(db, { parentId: root, managerId: otherManagerId, name: 'Unmanaged Person' });
    const names = async (client: typeof admin) =>
      (await client.partners.downline.query({ partnerId: root, limit: 10 })).items.map((item) => item.name).sort();
    expect(await names(complianceOfficer)).toEqual(['Managed Person', 'Unmanaged Person']);
    expect(await names(programManager)).toEqual([null, null]);
    expect(await names(manager)).toEqual(['Managed Person', null]);
  });
});

describe('partners.assignManager over HTTP', () => {
  it('is for the admin only, also for a partner the Partner Manager manages', async () => {
    const partner = await insertPartner(db, { managerId });
    for (const other of [manager, programManager, complianceOfficer]) {
      await expect(other.partners.assignManager.mutate({ partnerId: partner, managerId: otherManagerId })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
    }
    await expect(admin.partners.assignManager.mutate({ partnerId: partner, managerId: otherManagerId })).resolves.toEqual({
      partnerId: partner,
      managerId: otherManagerId,
    });
    const audit = await db
      .select({ before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.action, 'partner.assign_manager'), eq(activity.entityId, partner)));
    expect(audit).toEqual([{ before: { managerId }, after: { managerId: otherManagerId } }]);
  });

  it('accepts only an existing, active partner manager, or null', async () => {
    const partner = await insertPartner(db);
    const inactive = await insertUser(db, { roles: ['partner_manager'], active: false });
    const notAManager = await insertUser(db, { roles: ['program_manager'] });
    const assign = (id: string | null) => admin.partners.assignManager.mutate({ partnerId: partner, managerId: id });
    await expect(assign('22222222-2222-4222-8222-222222222222')).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(assign(inactive)).rejects.toMatchObject({ data: { code: 'PRECONDITION_FAILED' }, message: expect.stringContaining('inactive') });
    await expect(assign(notAManager)).rejects.toMatchObject({
      data: { code: 'PRECONDITION_FAILED' },
      message: expect.stringContaining('partner_manager'),
    });
    await assign(managerId);
    await expect(assign(null)).resolves.toEqual({ partnerId: partner, managerId: null });
  });
});
