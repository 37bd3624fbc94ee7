import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/client.js';
import { complianceJob } from '../jobs/compliance.js';
import { releaseHold } from '../server/domain/compliance/holds.js';
import { createTestDatabase } from './helpers/db.js';
import {
  countRows,
  createJobPartner,
  createJobProgram,
  insertDocument,
  iso,
  notificationsTo,
  partnerStates,
  subscribeWebhook,
  webhookPayloads,
} from './helpers/factories/partner-jobs.js';

// Agreements are global, so the document and agreement scenarios each get a database of their own.
const documentsDb = (await createTestDatabase()).db;
const agreementsDb = (await createTestDatabase()).db;
const job = complianceJob('1 hour');
const runOn = (db: Database) => (now: string) => job.run({ db, now: new Date(now) });
const tiers = [{ name: 'standard', rateType: 'percentage' as const, value: 1000 }];

async function holdsOf(db: Database, partnerIds: string[]) {
  const result = await db.execute<{ partner_id: string; kind: string; source: string; reason: string; created_by: string; released_by: string | null }>(sql`
    select partner_id, kind, source, reason, created_by, released_by from partner_holds
    where partner_id = any(${sql.param(partnerIds)}::uuid[]) order by created_at, source`);
  return result.rows;
}

async function auditOf(db: Database, entityIds: string[]) {
  const result = await db.execute<{ action: string; entity_id: string; actor_id: string }>(sql`
    select action, entity_id, actor_id from activity where entity_id = any(${sql.param(entityIds)}::text[]) order by id`);
  return result.rows;
}

/** What changes a run can make, counted over the whole database. */
async function footprint(db: Database) {
  const tables = ['notifications', 'partner_holds', 'activity', 'partner_status_history', 'webhook_deliveries'];
  return Promise.all(tables.map((table) => countRows(db, table)));
}

describe('document expiry', () => {
  const db = documentsDb;
  const run = runOn(db);

  it('reminds before a required document expires, holds payouts once it has lapsed, and releases the hold once renewed', async () => {
    const programId = await createJobProgram(db, 'Documents', { commissionTiers: tiers, rules: { requiredDocuments: ['w9', 'identity'] } });
    const partner = (status: 'active' | 'terminated' = 'active') => createJobPartner(db, { programId, tier: 'standard', status });
    const [soon, verySoon, replaced, lapsed, renewedEarly, notRequired, terminated, lastDay] = [
      await partner(),
      await partner(),
      await partner(),
      await partner(),
      await partner(),
      await partner(),
      await partner('terminated'),
      await partner(),
    ];
    const soonW9 = await insertDocument(db, soon, { kind: 'w9', expiresOn: '2025-06-20' });
    await insertDocument(db, soon, { kind: 'identity' });
    const verySoonW9 = await insertDocument(db, verySoon, { kind: 'w9', expiresOn: '2025-06-05' });
    await insertDocument(db, replaced, { kind: 'w9', expiresOn: '2025-06-20' });
    await insertDocument(db, replaced, { kind: 'w9', status: 'pending', expiresOn: '2026-06-20' });
    const lapsedW9 = await insertDocument(db, lapsed, { kind: 'w9', expiresOn: '2025-05-20' });
    await insertDocument(db, renewedEarly, { kind: 'w9', expiresOn: '2025-05-20' });
    await insertDocument(db, renewedEarly, { kind: 'w9', expiresOn: '2026-05-20' });
    await insertDocument(db, notRequired, { kind: 'other', expiresOn: '2025-06-10' });
    await insertDocument(db, terminated, { kind: 'w9', expiresOn: '2025-05-20' });
    const lastDayW9 = await insertDocument(db, lastDay, { kind: 'w9', expiresOn: '2025-06-01' });
    const everyone = [soon, verySoon, replaced, lapsed, renewedEarly, notRequired, terminated, lastDay];

    await run('2025-06-01T08:00:00Z');

    const keys = (partnerId: string, kind: string, key: string) =>
      ['dashboard', 'email'].map((channel) => `${kind}:${key}:${partnerId}:${channel}`);
    const sent = await notificationsTo(db, everyone);
    expect(sent.map((notification) => notification.dedupeKey).sort()).toEqual(
      [
        ...keys(soon, 'document_expiring', `document:${soonW9}:30d`),
        ...keys(verySoon, 'document_expiring', `document:${verySoonW9}:7d`),
        ...keys(lastDay, 'document_expiring', `document:${lastDayW9}:7d`),
        ...keys(lapsed, 'document_expired_hold', `document-expired:${lapsedW9}`),
      ].sort(),
    );
    const email = (partnerId: string) => sent.find((notification) => notification.partnerId === partnerId && notification.channel === 'email')!;
    expect(email(soon)).toMatchObject({
      subject: 'Your W-9 form expires on Jun 20, 2025',
      summary: 'Your W-9 form expires in 19 days. Upload a current one to keep earning.',
    });
    expect(email(soon).bodyText).toContain('Please upload a current one before then: http://localhost:3000/settings/documents');
    expect(email(lastDay).summary).toBe('Your W-9 form expires in 0 days. Upload a current one to keep earning.');
    expect(email(lapsed)).toMatchObject({
      subject: 'Action needed: your partner account is on hold',
      summary: 'Your W-9 form expired on May 20, 2025; payouts are on hold.',
    });

    const held = await holdsOf(db, everyone);
    expect(held).toEqual([
      {
        partner_id: lapsed,
        kind: 'compliance',
        source: `document-expired:${lapsedW9}`,
        reason: 'Required document w9 expired on 2025-05-20',
        created_by: 'system:compliance',
        released_by: null,
      },
    ]);
    const holdIds = (await db.execute<{ id: string }>(sql`select id from partner_holds where partner_id = ${lapsed}`)).rows.map((row) => row.id);
    expect(await auditOf(db, holdIds)).toEqual([{ action: 'hold.place', entity_id: holdIds[0], actor_id: 'system:compliance' }]);

    // The same period again: nothing new anywhere.
    const before = await footprint(db);
    await run('2025-06-01T09:00:00Z');
    expect(await footprint(db)).toEqual(before);

    // Two weeks on: the next reminder stage, two more lapses, and a renewal that ends the first hold.
    await insertDocument(db, lapsed, { kind: 'w9', expiresOn: '2026-06-01' });
    await run('2025-06-14T08:00:00Z');
    const newlySent = (await notificationsTo(db, everyone)).filter((notification) => !sent.some((old) => old.dedupeKey === notification.dedupeKey));
    expect(newlySent.map((notification) => notification.dedupeKey).sort()).toEqual(
      [
        ...keys(soon, 'document_expiring', `document:${soonW9}:7d`),
        ...keys(verySoon, 'document_expired_hold', `document-expired:${verySoonW9}`),
        ...keys(lastDay, 'document_expired_hold', `document-expired:${lastDayW9}`),
      ].sort(),
    );
    const afterTwoWeeks = await holdsOf(db, everyone);
    expect(afterTwoWeeks.map((hold) => [hold.partner_id, hold.source, hold.released_by])).toEqual(
      expect.arrayContaining([
        [lapsed, `document-expired:${lapsedW9}`, 'system:compliance'],
        [verySoon, `document-expired:${verySoonW9}`, null],
        [lastDay, `document-expired:${lastDayW9}`, null],
      ]),
    );
    expect(afterTwoWeeks).toHaveLength(3);
    expect((await auditOf(db, holdIds)).map((entry) => entry.action)).toEqual(['hold.place', 'hold.release']);

    // A hold an officer released is not placed again for the same lapsed document.
    const [verySoonHold] = (await db.execute<{ id: string }>(sql`select id from partner_holds where partner_id = ${verySoon}`)).rows;
    await releaseHold(db, { userId: 'officer', roles: ['compliance_officer'], requestId: null }, { holdId: verySoonHold!.id, reason: 'Paid by check' });
    const afterRelease = await footprint(db);
    await run('2025-06-14T09:00:00Z');
    expect(await footprint(db)).toEqual(afterRelease);
  });
});

describe('agreement grace periods', () => {
  const db = agreementsDb;
  const run = runOn(db);

  async function publish(version: number, publishedAt: string, requiresReacceptance: boolean) {
    const result = await db.execute<{ id: string }>(sql`
      insert into agreement_versions (version, title, body, content_hash, requires_reacceptance, published_by, created_at)
      values (${version}, 'Partner Terms', ${`Terms, version ${version}`}, ${`hash-${version}`}, ${requiresReacceptance}, 'legal', ${publishedAt}::timestamptz)
      returning id`);
    return result.rows[0]!.id;
  }
  async function accept(partnerId: string, versionId: string) {
    await db.execute(sql`
      insert into agreement_acceptances (partner_id, agreement_version_id, accepted_at, recorded_by)
      values (${partnerId}, ${versionId}, '2025-01-02T00:00:00Z', 'test')`);
  }

  it('reminds after the first grace period and suspends active partners after the second, once each', async () => {
    const strict = await createJobProgram(db, 'Strict', { commissionTiers: tiers, rules: { agreementGraceDays: 10, suspendAfterAgreementGrace: true } });
    const lenient = await createJobProgram(db, 'Lenient', { commissionTiers: tiers, rules: { agreementGraceDays: 10, suspendAfterAgreementGrace: false } });
    const v1 = await publish(1, '2025-01-01T00:00:00Z', true);
    const v2 = await publish(2, '2025-05-01T00:00:00Z', true);
    const v3 = await publish(3, '2025-05-05T00:00:00Z', false);
    await subscribeWebhook(db, ['partner.suspended']);
    const partner = async (programId: string | null, status: 'active' | 'suspended' | 'trained' | 'applied', accepted: string) => {
      const id = await createJobPartner(db, { programId, tier: programId ? 'standard' : null, status });
      await accept(id, accepted);
      return id;
    };
    const current = await partner(strict, 'active', v2);
    const editorialOnly = await partner(strict, 'active', v3);
    const behind = await partner(strict, 'active', v1);
    const alreadySuspended = await partner(strict, 'suspended', v1);
    const onboarding = await partner(strict, 'trained', v1);
    const applicant = await partner(null, 'applied', v1);
    const lenientBehind = await partner(lenient, 'active', v1);
    const everyone = [current, editorialOnly, behind, alreadySuspended, onboarding, applicant, lenientBehind];

    await run('2025-05-08T00:00:00Z');
    expect(await notificationsTo(db, everyone)).toEqual([]);

    await run('2025-05-12T00:00:00Z');
    const reminders = await notificationsTo(db, everyone);
    expect(reminders.map((notification) => [notification.partnerId, notification.channel, notification.dedupeKey]).sort()).toEqual(
      [behind, alreadySuspended, onboarding, lenientBehind]
        .flatMap((id) => ['dashboard', 'email'].map((channel) => [id, channel, `agreement_reminder:agreement-version:${v2}:${id}:${channel}`]))
        .sort(),
    );
    const reminder = (partnerId: string) => reminders.find((notification) => notification.partnerId === partnerId && notification.channel === 'email')!;
    expect(reminder(behind)).toMatchObject({
      subject: 'Please accept the updated Partner Terms',
      summary: 'Please accept Partner Terms (version 3) by May 21, 2025.',
    });
    expect(reminder(behind).bodyText).toContain('Please review and accept them by May 21, 2025 to keep your account active.');
    expect(reminder(lenientBehind).summary).toBe('Please accept Partner Terms (version 3).');
    expect(await partnerStates(db, everyone)).toMatchObject({ [behind]: { status: 'active' } });

    const beforeRepeat = await footprint(db);
    await run('2025-05-12T01:00:00Z');
    expect(await footprint(db)).toEqual(beforeRepeat);

    await run('2025-05-22T00:00:00Z');
    const states = await partnerStates(db, everyone);
    expect(Object.entries(states).filter(([, state]) => state.status === 'suspended').map(([id]) => id).sort()).toEqual(
      [behind, alreadySuspended].sort(),
    );
    const note = 'The partner agreement "Partner Terms" (version 2) was not accepted within 20 days of its publication on 2025-05-01.';
    const history = await db.execute<{ id: number; partner_id: string; from_status: string; to_status: string; reason_code: string; note: string; actor_id: string; at: string }>(sql`
      select id, partner_id, from_status, to_status, reason_code, note, actor_id, created_at as at from partner_status_history
      where partner_id = any(${sql.param(everyone)}::uuid[])`);
    expect(history.rows.map(({ id: _id, at, ...row }) => ({ ...row, at: iso(at) }))).toEqual([
      { partner_id: behind, from_status: 'active', to_status: 'suspended', reason_code: 'compliance', note, actor_id: 'system:compliance', at: '2025-05-22T00:00:00.000Z' },
    ]);
    expect(await holdsOf(db, everyone)).toEqual([
      { partner_id: behind, kind: 'compliance', source: 'suspension', reason: note, created_by: 'system:compliance', released_by: null },
    ]);
    expect(await auditOf(db, [behind])).toEqual([{ action: 'partner.suspend', entity_id: behind, actor_id: 'system:compliance' }]);
    const notices = (await notificationsTo(db, everyone, ['partner_suspended'])).filter((notification) => notification.channel === 'email');
    expect(notices.map((notification) => [notification.partnerId, notification.dedupeKey])).toEqual([
      [behind, `partner_suspended:status-history:${history.rows[0]!.id}:${behind}:email`],
    ]);
    expect(notices[0]!.subject).toBe('Your partner account has been suspended');
    expect(notices[0]!.bodyText).toContain('Your partner account has been suspended because of a compliance requirement.');
    expect(notices[0]!.bodyText).toContain(`Note from our team: ${note}`);
    expect(await notificationsTo(db, everyone, ['agreement_reminder'])).toHaveLength(reminders.length);
    expect(await webhookPayloads(db, 'partner.suspended', everyone)).toEqual([
      { partnerId: behind, fromStatus: 'active', toStatus: 'suspended', reasonCode: 'compliance', at: '2025-05-22T00:00:00.000Z' },
    ]);

    const afterSuspension = await footprint(db);
    await run('2025-05-22T01:00:00Z');
    expect(await footprint(db)).toEqual(afterSuspension);
  });
});
