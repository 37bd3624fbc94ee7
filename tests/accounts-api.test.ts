import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { createTestDatabase } from './helpers/db.js';
import { insertAccount } from './helpers/factories/hierarchy.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const admin = await server.client(['affiliate_admin']);
const manager = await server.client(['partner_manager']);
const programManager = await server.client(['program_manager']);
const complianceOfficer = await server.client(['compliance_officer']);

const MISSING = '33333333-3333-4333-8333-333333333333';

describe('accounts.create and accounts.get', () => {
  it('creates an account under a parent and reads it back with its referrer and child count', async () => {
    const parent = await admin.accounts.create.mutate({ name: 'Parent Co', externalRef: `crm-${Date.now()}`, emailDomain: 'Parent.Example' });
    expect(parent).toMatchObject({ name: 'Parent Co', emailDomain: 'parent.example', parentAccountId: null });
    const child = await manager.accounts.create.mutate({ name: 'Child Co', parentAccountId: parent.id });
    for (const reader of [admin, manager, programManager, complianceOfficer]) {
      await expect(reader.accounts.get.query({ accountId: parent.id })).resolves.toMatchObject({ id: parent.id, referrer: null, childCount: 1 });
    }
    expect(await admin.accounts.get.query({ accountId: child.id })).toMatchObject({ parentAccountId: parent.id, childCount: 0 });
    const audit = await db.select({ after: activity.after }).from(activity).where(and(eq(activity.action, 'account.create'), eq(activity.entityId, parent.id)));
    expect(audit).toEqual([{ after: expect.objectContaining({ name: 'Parent Co' }) }]);
  });

  it('lets only the admin and Partner Managers create accounts', async () => {
    for (const reader of [programManager, complianceOfficer]) {
      await expect(reader.accounts.create.mutate({ name: 'Nope' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
  });

  it('answers a duplicate externalRef with CONFLICT, a missing parent with NOT_FOUND and bad input with BAD_REQUEST', async () => {
    const externalRef = `dup-${Date.now()}`;
    await admin.accounts.create.mutate({ name: 'First', externalRef });
    await expect(admin.accounts.create.mutate({ name: 'Second', externalRef })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining(externalRef),
    });
    await expect(admin.accounts.create.mutate({ name: 'Orphan', parentAccountId: MISSING })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.accounts.create.mutate({ name: 'Bad', emailDomain: 'not a domain' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('emailDomain'),
    });
    await expect(admin.accounts.get.query({ accountId: MISSING })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.accounts.get.query({ accountId: 'x' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});

describe('accounts.list', () => {
  it('filters by name, parent and top level, and pages through every match once', async () => {
    const tag = `Zebra${Date.now()}`;
    const parent = await insertAccount(db, { name: `${tag} Holding` });
    const children = [];
    for (let i = 0; i < 5; i++) children.push(await insertAccount(db, { name: `${tag} Sub ${i}`, parentAccountId: parent }));
    await insertAccount(db, { name: `${tag}_literal` });

    const bySearch = await admin.accounts.list.query({ search: tag.toLowerCase(), limit: 200 });
    expect(bySearch.items).toHaveLength(7);
    const literal = await admin.accounts.list.query({ search: `${tag}_l`, limit: 200 });
    expect(literal.items.map((item) => item.name)).toEqual([`${tag}_literal`]);
    const wildcard = await admin.accounts.list.query({ search: `${tag}%Sub`, limit: 200 });
    expect(wildcard.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await programManager.accounts.list.query({ parentAccountId: parent, limit: 2, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...children].sort());

    const topLevel = await admin.accounts.list.query({ parentAccountId: null, search: tag, limit: 200 });
    expect(topLevel.items.map((item) => item.name).sort()).toEqual([`${tag} Holding`, `${tag}_literal`]);
  });

  it('refuses a cursor it did not hand out', async () => {
    await expect(admin.accounts.list.query({ cursor: 'garbage' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });
});

describe('accounts.setParent and accounts.children', () => {
  it('moves an account, lists children, and refuses cycles', async () => {
    const top = await insertAccount(db);
    const middle = await insertAccount(db, { parentAccountId: top });
    const bottom = await insertAccount(db, { parentAccountId: middle });
    await expect(admin.accounts.setParent.mutate({ accountId: top, parentAccountId: bottom })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('cycle'),
    });
    await expect(admin.accounts.setParent.mutate({ accountId: top, parentAccountId: top })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('parentAccountId'),
    });
    await expect(manager.accounts.setParent.mutate({ accountId: bottom, parentAccountId: top })).resolves.toMatchObject({ parentAccountId: top });
    const children = await complianceOfficer.accounts.children.query({ accountId: top });
    expect(children.items.map((item) => item.id).sort()).toEqual([middle, bottom].sort());
    await admin.accounts.setParent.mutate({ accountId: middle, parentAccountId: null });
    expect((await admin.accounts.get.query({ accountId: middle })).parentAccountId).toBeNull();
    const audit = await db
      .select({ before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.action, 'account.set_parent'), eq(activity.entityId, bottom)));
    expect(audit).toEqual([{ before: { parentAccountId: middle }, after: { parentAccountId: top } }]);
  });

  it('lets only the admin and Partner Managers move accounts', async () => {
    const [a, b] = [await insertAccount(db), await insertAccount(db)];
    for (const reader of [programManager, complianceOfficer]) {
      await expect(reader.accounts.setParent.mutate({ accountId: a, parentAccountId: b })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    }
    await expect(admin.accounts.children.query({ accountId: MISSING })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('never lets two concurrent moves that together form a cycle both succeed', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await insertAccount(db), await insertAccount(db)];
      const results = await Promise.allSettled([
        admin.accounts.setParent.mutate({ accountId: a, parentAccountId: b }),
        admin.accounts.setParent.mutate({ accountId: b, parentAccountId: a }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      const parents = [await admin.accounts.get.query({ accountId: a }), await admin.accounts.get.query({ accountId: b })];
      expect(parents.filter((account) => account.parentAccountId !== null)).toHaveLength(1);
    }
  });
});
