import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { activity } from '../db/schema/activity.js';
import { partnerAccounts } from '../db/schema/partners.js';
import { createTestDatabase } from './helpers/db.js';
import { insertAccount, insertPartner, insertUser } from './helpers/factories/hierarchy.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const managerId = await insertUser(db, { roles: ['partner_manager'] });
const otherManagerId = await insertUser(db, { roles: ['partner_manager'] });
const admin = await server.client(['affiliate_admin'], { sub: 'admin-1' });
const manager = await server.client(['partner_manager'], { sub: managerId });
const programManager = await server.client(['program_manager']);
const complianceOfficer = await server.client(['compliance_officer']);

const openReferrers = (accountId: string) =>
  db
    .select({ partnerId: partnerAccounts.partnerId })
    .from(partnerAccounts)
    .where(and(eq(partnerAccounts.accountId, accountId), eq(partnerAccounts.role, 'referrer'), isNull(partnerAccounts.endedAt)));

describe('partners.linkAccount', () => {
  it('refuses a second referrer with CONFLICT naming the current one, and never overwrites it', async () => {
    const [first, second] = [await insertPartner(db), await insertPartner(db)];
    const account = await insertAccount(db);
    const link = await admin.partners.linkAccount.mutate({ partnerId: first, accountId: account, role: 'referrer' });
    expect(link).toMatchObject({ partnerId: first, accountId: account, role: 'referrer', linkedBy: 'admin-1', endedAt: null });
    await expect(admin.partners.linkAccount.mutate({ partnerId: second, accountId: account, role: 'referrer' })).rejects.toMatchObject({
      data: { code: 'CONFLICT', details: { currentPartnerId: first, currentLinkId: link.id } },
      message: expect.stringContaining(first),
    });
    expect(await openReferrers(account)).toEqual([{ partnerId: first }]);
    await expect(admin.partners.linkAccount.mutate({ partnerId: first, accountId: account, role: 'referrer' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('already linked'),
    });
  });

  it('transfers the referrer when asked: old link ended, new one open, one audit row naming both partners', async () => {
    const [from, to] = [await insertPartner(db), await insertPartner(db)];
    const account = await insertAccount(db);
    const old = await admin.partners.linkAccount.mutate({ partnerId: from, accountId: account, role: 'referrer' });
    const created = await admin.partners.linkAccount.mutate({ partnerId: to, accountId: account, role: 'referrer', transfer: true });
    expect(await openReferrers(account)).toEqual([{ partnerId: to }]);

    const history = await complianceOfficer.accounts.referralHistory.query({ accountId: account });
    expect(history.items.map((item) => [item.partner.id, item.endedBy, item.endedAt === null])).toEqual([
      [from, 'admin-1', false],
      [to, null, true],
    ]);
    expect(history.items[0]!.id).toBe(old.id);
    expect((await admin.accounts.get.query({ accountId: account })).referrer).toMatchObject({ partnerId: to, linkId: created.id });

    const audit = await db
      .select({ actorId: activity.actorId, before: activity.before, after: activity.after })
      .from(activity)
      .where(and(eq(activity.action, 'account.transfer_referrer'), eq(activity.entityId, account)));
    expect(audit).toEqual([
      {
        actorId: 'admin-1',
        before: { referringPartnerId: from, linkId: old.id },
        after: { referringPartnerId: to, linkId: created.id },
      },
    ]);
  });

  it('lets several partners hold other roles on one account, and refuses a transfer flag on them', async () => {
    const [one, two] = [await insertPartner(db), await insertPartner(db)];
    const account = await insertAccount(db);
    await admin.partners.linkAccount.mutate({ partnerId: one, accountId: account, role: 'reseller' });
    await admin.partners.linkAccount.mutate({ partnerId: two, accountId: account, role: 'reseller' });
    await admin.partners.linkAccount.mutate({ partnerId: one, accountId: account, role: 'owner' });
    await expect(admin.partners.linkAccount.mutate({ partnerId: two, accountId: account, role: 'owner', transfer: true })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('transfer'),
    });
    const links = await admin.partners.accounts.query({ partnerId: one });
    expect(links.items.map((item) => item.role).sort()).toEqual(['owner', 'reseller']);
    expect(links.items[0]!.account.id).toBe(account);
  });

  it('refuses links to a terminated partner and to accounts or partners that do not exist', async () => {
    const terminated = await insertPartner(db, { status: 'terminated' });
    const partner = await insertPartner(db);
    const account = await insertAccount(db);
    await expect(admin.partners.linkAccount.mutate({ partnerId: terminated, accountId: account, role: 'owner' })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: expect.stringContaining('terminated'),
    });
    const missing = '44444444-4444-4444-8444-444444444444';
    await expect(admin.partners.linkAccount.mutate({ partnerId: partner, accountId: missing, role: 'owner' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringContaining(missing),
    });
    await expect(admin.partners.linkAccount.mutate({ partnerId: missing, accountId: account, role: 'owner' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
  });

  it('lets exactly one of two concurrent referrer links win', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = [await insertPartner(db), await insertPartner(db)];
      const account = await insertAccount(db);
      const results = await Promise.allSettled([
        admin.partners.linkAccount.mutate({ partnerId: a, accountId: account, role: 'referrer' }),
        admin.partners.linkAccount.mutate({ partnerId: b, accountId: account, role: 'referrer' }),
      ]);
      expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
        data: { code: 'CONFLICT' },
      });
      expect(await openReferrers(account)).toHaveLength(1);
    }
  });

  it('keeps one open referrer through concurrent transfers, each audited', async () => {
    const partners = [await insertPartner(db), await insertPartner(db), await insertPartner(db)];
    const account = await insertAccount(db);
    await Promise.all(partners.map((partnerId) => admin.partners.linkAccount.mutate({ partnerId, accountId: account, role: 'referrer', transfer: true })));
    expect(await openReferrers(account)).toHaveLength(1);
    const history = await admin.accounts.referralHistory.query({ accountId: account });
    expect(history.items).toHaveLength(3);
    const transfers = await db.select({ id: activity.id }).from(activity).where(and(eq(activity.action, 'account.transfer_referrer'), eq(activity.entityId, account)));
    expect(transfers).toHaveLength(2);
  });
});

describe('partners.unlinkAccount and partners.accounts', () => {
  it('ends a link, keeps it as history, and answers NOT_FOUND for a link that is not open', async () => {
    const partner = await insertPartner(db);
    const [kept, dropped] = [await insertAccount(db), await insertAccount(db)];
    await admin.partners.linkAccount.mutate({ partnerId: partner, accountId: kept, role: 'referrer' });
    await admin.partners.linkAccount.mutate({ partnerId: partner, accountId: dropped, role: 'referrer' });
    const ended = await admin.partners.unlinkAccount.mutate({ partnerId: partner, accountId: dropped, role: 'referrer' });
    expect(ended).toMatchObject({ endedBy: 'admin-1', endedAt: expect.any(Date) });
    await expect(admin.partners.unlinkAccount.mutate({ partnerId: partner, accountId: dropped, role: 'referrer' })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });

    const open = await programManager.partners.accounts.query({ partnerId: partner });
    expect(open.items.map((item) => item.accountId)).toEqual([kept]);
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await programManager.partners.accounts.query({ partnerId: partner, includeEnded: true, limit: 1, cursor });
      all.push(...page.items.map((item) => item.accountId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toEqual([kept, dropped]);
    const audit = await db.select({ before: activity.before }).from(activity).where(and(eq(activity.action, 'partner.unlink_account'), eq(activity.entityId, partner)));
    expect(audit).toEqual([{ before: { linkId: ended.id, accountId: dropped, role: 'referrer' } }]);
  });
});

describe('who may change account links', () => {
  it('lets a Partner Manager link and unlink only partners they manage', async () => {
    const mine = await insertPartner(db, { managerId });
    const theirs = await insertPartner(db, { managerId: otherManagerId });
    const account = await insertAccount(db);
    await expect(manager.partners.linkAccount.mutate({ partnerId: mine, accountId: account, role: 'owner' })).resolves.toMatchObject({ partnerId: mine });
    await expect(manager.partners.linkAccount.mutate({ partnerId: theirs, accountId: account, role: 'owner' })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await admin.partners.linkAccount.mutate({ partnerId: theirs, accountId: account, role: 'reseller' });
    await expect(manager.partners.unlinkAccount.mutate({ partnerId: theirs, accountId: account, role: 'reseller' })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
    await expect(manager.partners.unlinkAccount.mutate({ partnerId: mine, accountId: account, role: 'owner' })).resolves.toMatchObject({ partnerId: mine });
  });

  it('requires a Partner Manager to manage both partners of a transfer', async () => {
    const mine = await insertPartner(db, { managerId });
    const alsoMine = await insertPartner(db, { managerId });
    const theirs = await insertPartner(db, { managerId: otherManagerId });
    const taken = await insertAccount(db);
    await admin.partners.linkAccount.mutate({ partnerId: theirs, accountId: taken, role: 'referrer' });
    await expect(manager.partners.linkAccount.mutate({ partnerId: mine, accountId: taken, role: 'referrer', transfer: true })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
      message: expect.stringContaining(theirs),
    });
    expect(await openReferrers(taken)).toEqual([{ partnerId: theirs }]);

    const own = await insertAccount(db);
    await manager.partners.linkAccount.mutate({ partnerId: mine, accountId: own, role: 'referrer' });
    await manager.partners.linkAccount.mutate({ partnerId: alsoMine, accountId: own, role: 'referrer', transfer: true });
    expect(await openReferrers(own)).toEqual([{ partnerId: alsoMine }]);
  });

  it('lets Program Managers and Compliance Officers read links but not change them', async () => {
    const partner = await insertPartner(db, { name: 'Hidden Name' });
    const account = await insertAccount(db);
    await admin.partners.linkAccount.mutate({ partnerId: partner, accountId: account, role: 'referrer' });
    for (const reader of [programManager, complianceOfficer]) {
      await expect(reader.partners.linkAccount.mutate({ partnerId: partner, accountId: account, role: 'owner' })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
      await expect(reader.partners.unlinkAccount.mutate({ partnerId: partner, accountId: account, role: 'referrer' })).rejects.toMatchObject({
        data: { code: 'FORBIDDEN' },
      });
      expect((await reader.partners.accounts.query({ partnerId: partner })).items).toHaveLength(1);
    }
    const asProgramManager = await programManager.accounts.referralHistory.query({ accountId: account });
    const asCompliance = await complianceOfficer.accounts.referralHistory.query({ accountId: account });
    expect(asProgramManager.items[0]!.partner).toMatchObject({ id: partner, name: null, email: null });
    expect(asCompliance.items[0]!.partner).toMatchObject({ id: partner, name: 'Hidden Name' });
  });

  it('lists accounts by their current referring partner', async () => {
    const [from, to] = [await insertPartner(db), await insertPartner(db)];
    const account = await insertAccount(db);
    await admin.partners.linkAccount.mutate({ partnerId: from, accountId: account, role: 'referrer' });
    expect((await admin.accounts.list.query({ referringPartnerId: from })).items.map((item) => item.id)).toEqual([account]);
    await admin.partners.linkAccount.mutate({ partnerId: to, accountId: account, role: 'referrer', transfer: true });
    expect((await admin.accounts.list.query({ referringPartnerId: from })).items).toEqual([]);
    expect((await admin.accounts.list.query({ referringPartnerId: to })).items.map((item) => item.id)).toEqual([account]);
  });
});
