import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enqueueNotifications } from '../server/domain/notifications/index.js';
import { createPartner, createStaffUser } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false', PUBLIC_BASE_URL: 'https://partners.example.com' });
const { db } = database;

async function rowsFor(partnerId: string) {
  const result = await db.execute<{ id: string; kind: string; channel: string; state: string; subject: string; body_text: string; sent_at: Date | null }>(
    sql`select id, kind, channel, state, subject, body_text, sent_at from notifications where partner_id = ${partnerId} order by kind, channel`,
  );
  return result.rows;
}

const suspension = { reasonCode: 'compliance', note: null } as const;

describe('enqueueNotifications', () => {
  it('writes one email (pending) and one dashboard (in the inbox) row per partner, rendered with the configured base URL', async () => {
    const partner = await createPartner(db);
    const result = await enqueueNotifications(db, {
      kind: 'partner_activated',
      recipients: [{ partnerId: partner.id, dedupeKey: 'activation', variables: { programName: 'Acme', referralCode: 'ACME-1' } }],
    });
    expect(result).toEqual({ recipients: 1, enqueued: 2 });
    const rows = await rowsFor(partner.id);
    expect(rows.map((row) => [row.channel, row.state, row.sent_at !== null])).toEqual([
      ['dashboard', 'sent', true],
      ['email', 'pending', false],
    ]);
    expect(rows[0]!.subject).toBe('Your partner account is active');
    expect(rows[0]!.body_text).toContain('Your referral code: ACME-1');
    expect(rows[0]!.body_text).toContain('https://partners.example.com/dashboard');
  });

  it('never writes a notification twice for the same occasion', async () => {
    const partner = await createPartner(db);
    const input = { kind: 'partner_suspended' as const, recipients: [{ partnerId: partner.id, dedupeKey: 'history-1', variables: suspension }] };
    expect(await enqueueNotifications(db, input)).toEqual({ recipients: 1, enqueued: 2 });
    expect(await enqueueNotifications(db, input)).toEqual({ recipients: 1, enqueued: 0 });
    expect(await enqueueNotifications(db, { ...input, recipients: [{ ...input.recipients[0]!, dedupeKey: 'history-2' }] })).toEqual({
      recipients: 1,
      enqueued: 2,
    });
    expect(await rowsFor(partner.id)).toHaveLength(4);
  });

  it('is part of the caller’s transaction: a rolled-back mutation notifies nobody', async () => {
    const partner = await createPartner(db);
    await expect(
      db.transaction(async (tx) => {
        await enqueueNotifications(tx, { kind: 'partner_suspended', recipients: [{ partnerId: partner.id, dedupeKey: 'x', variables: suspension }] });
        throw new Error('the mutation failed after enqueueing');
      }),
    ).rejects.toThrow('the mutation failed');
    expect(await rowsFor(partner.id)).toEqual([]);
  });

  it('skips opted-out channels of non-essential kinds, but always sends essential ones and forced notices', async () => {
    const partner = await createPartner(db);
    // An opt-out of an essential kind cannot be made through the API; one left over from before must still not count.
    await db.execute(sql`
      insert into notification_preferences (partner_id, kind, channel, opted_out_by)
      values (${partner.id}, 're_engagement', 'email', 'test'), (${partner.id}, 'partner_suspended', 'email', 'test'),
             (${partner.id}, 'custom_message', 'email', 'test'), (${partner.id}, 'custom_message', 'dashboard', 'test')`);
    const reEngagement = await enqueueNotifications(db, {
      kind: 're_engagement',
      recipients: [{ partnerId: partner.id, dedupeKey: 'r', variables: { programName: null, offer: null } }],
    });
    const suspended = await enqueueNotifications(db, { kind: 'partner_suspended', recipients: [{ partnerId: partner.id, dedupeKey: 's', variables: suspension }] });
    const optedOut = await enqueueNotifications(db, {
      kind: 'custom_message',
      recipients: [{ partnerId: partner.id, dedupeKey: 'c1', variables: { subject: 'Hi', message: 'News' } }],
    });
    const forced = await enqueueNotifications(db, {
      kind: 'custom_message',
      alwaysSend: true,
      recipients: [{ partnerId: partner.id, dedupeKey: 'c2', variables: { subject: 'Legal', message: 'Required' } }],
    });
    expect([reEngagement.enqueued, suspended.enqueued, optedOut.enqueued, forced.enqueued]).toEqual([1, 2, 0, 2]);
    const channels = (await rowsFor(partner.id)).map((row) => `${row.kind}:${row.channel}`);
    expect(channels).toEqual([
      'custom_message:dashboard',
      'custom_message:email',
      'partner_suspended:dashboard',
      'partner_suspended:email',
      're_engagement:dashboard',
    ]);
  });

  it('sends staff notices to existing users only, by email', async () => {
    const owner = await createStaffUser(db, ['affiliate_admin']);
    const variables = { endpointId: crypto.randomUUID(), url: 'https://x.example.com', consecutiveFailures: 20, lastError: null, disabledAt: new Date() };
    const result = await enqueueNotifications(db, {
      kind: 'webhook_endpoint_disabled',
      recipients: [
        { userId: owner.id, dedupeKey: 'w', variables },
        { userId: 'service-token-subject', dedupeKey: 'w', variables },
        { userId: crypto.randomUUID(), dedupeKey: 'w', variables },
      ],
    });
    expect(result).toEqual({ recipients: 1, enqueued: 1 });
    const rows = await db.execute<{ channel: string; partner_id: string | null }>(
      sql`select channel, partner_id from notifications where user_id = ${owner.id}`,
    );
    expect(rows.rows).toEqual([{ channel: 'email', partner_id: null }]);
  });

  it('renders once for an audience given as SQL and writes a row per partner and channel', async () => {
    const partners = await Promise.all([createPartner(db), createPartner(db), createPartner(db)]);
    const ids = partners.slice(0, 2).map((partner) => partner.id);
    const result = await enqueueNotifications(db, {
      kind: 'custom_message',
      channels: ['dashboard'],
      audience: sql`select id from partners where id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`,
      dedupeKey: 'campaign-a',
      variables: { subject: 'Welcome to Q3', message: 'New creatives are live.' },
    });
    expect(result).toEqual({ recipients: 2, enqueued: 2 });
    expect(await rowsFor(partners[2]!.id)).toEqual([]);
  });

  it('refuses a channel the kind does not use and variables that do not fit the kind', async () => {
    const owner = await createStaffUser(db, ['affiliate_admin']);
    await expect(
      enqueueNotifications(db, {
        kind: 'webhook_endpoint_disabled',
        channels: ['dashboard'],
        recipients: [{ userId: owner.id, dedupeKey: 'x', variables: { endpointId: owner.id, url: 'u', consecutiveFailures: 1, lastError: null, disabledAt: new Date() } }],
      }),
    ).rejects.toThrow(/cannot be sent by dashboard/);
    const partner = await createPartner(db);
    await expect(
      enqueueNotifications(db, {
        kind: 'payout_paid',
        recipients: [{ partnerId: partner.id, dedupeKey: 'p', variables: { amount: 1.5, currency: 'USD', paidAt: new Date(), reference: null } }],
      }),
    ).rejects.toThrow();
  });
});

describe('notification procedures', () => {
  it('previews a kind with its sample data or with given variables, naming a bad variable', async () => {
    const client = await server.client(['program_manager']);
    const sample = await client.notifications.preview.query({ kind: 'payout_paid' });
    expect(sample).toMatchObject({ kind: 'payout_paid', essential: false, subject: 'Your payout of $1,234.56 is on its way' });
    const custom = await client.notifications.preview.query({
      kind: 'payout_paid',
      variables: { amount: 99, currency: 'EUR', paidAt: '2025-02-03', reference: null },
    });
    expect(custom.subject).toBe('Your payout of €0.99 is on its way');
    expect(custom.bodyText).toContain('https://partners.example.com/dashboard/payouts');
    await expect(
      client.notifications.preview.query({ kind: 'payout_paid', variables: { currency: 'EUR', paidAt: '2025-02-03', reference: null } }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringContaining('variables.amount') });
  });

  it('shows and changes a partner’s preferences, refusing to turn off essential notices', async () => {
    const manager = await createStaffUser(db, ['partner_manager']);
    const managed = await createPartner(db, { managerId: manager.id });
    const other = await createPartner(db);
    const client = await server.client(['partner_manager'], { sub: manager.id });

    const updated = await client.notifications.setPreferences.mutate({
      partnerId: managed.id,
      preferences: [
        { kind: 're_engagement', channel: 'email', enabled: false },
        { kind: 'payout_paid', channel: 'dashboard', enabled: false },
      ],
    });
    const byKind = new Map(updated.preferences.map((preference) => [preference.kind, preference]));
    expect(byKind.get('re_engagement')).toEqual({ kind: 're_engagement', essential: false, channels: { email: false, dashboard: true } });
    expect(byKind.get('payout_paid')?.channels).toEqual({ email: true, dashboard: false });
    expect(byKind.get('partner_suspended')).toEqual({ kind: 'partner_suspended', essential: true, channels: { email: true, dashboard: true } });
    expect(byKind.has('webhook_endpoint_disabled')).toBe(false);

    const reenabled = await client.notifications.setPreferences.mutate({
      partnerId: managed.id,
      preferences: [{ kind: 're_engagement', channel: 'email', enabled: true }],
    });
    expect(reenabled.preferences.find((preference) => preference.kind === 're_engagement')?.channels.email).toBe(true);

    await expect(
      client.notifications.setPreferences.mutate({
        partnerId: managed.id,
        preferences: [
          { kind: 'payout_paid', channel: 'email', enabled: true },
          { kind: 'document_expiring', channel: 'email', enabled: false },
        ],
      }),
    ).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' }, message: expect.stringMatching(/preferences\.1\.kind: document_expiring is an essential notice/) });
    await expect(
      client.notifications.setPreferences.mutate({ partnerId: other.id, preferences: [{ kind: 're_engagement', channel: 'email', enabled: false }] }),
    ).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(
      client.notifications.preferences.query({ partnerId: crypto.randomUUID() }),
    ).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    const viewed = await (await server.client(['compliance_officer'])).notifications.preferences.query({ partnerId: managed.id });
    expect(viewed.preferences.find((preference) => preference.kind === 'payout_paid')?.channels.dashboard).toBe(false);
  });

  it('lists a partner’s notifications newest first, by filter, one page at a time without losing rows of one transaction', async () => {
    const partner = await createPartner(db);
    await db.transaction(async (tx) => {
      for (let index = 0; index < 5; index++) {
        await enqueueNotifications(tx, {
          kind: 'custom_message',
          channels: ['dashboard'],
          recipients: [{ partnerId: partner.id, dedupeKey: `page-${index}`, variables: { subject: `Message ${index}`, message: 'Body' } }],
        });
      }
      await enqueueNotifications(tx, { kind: 'partner_suspended', channels: ['email'], recipients: [{ partnerId: partner.id, dedupeKey: 'e', variables: suspension }] });
    });
    const client = await server.client(['compliance_officer']);
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = await client.notifications.list.query({ partnerId: partner.id, channel: 'dashboard', limit: 2, cursor });
      sizes.push(page.items.length);
      seen.push(...page.items.map((item) => item.subject));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 1]);
    expect(new Set(seen).size).toBe(5);
    const pending = await client.notifications.list.query({ partnerId: partner.id, state: 'pending' });
    expect(pending.items.map((item) => [item.kind, item.channel])).toEqual([['partner_suspended', 'email']]);
    const byKind = await client.notifications.list.query({ partnerId: partner.id, kind: 'custom_message' });
    expect(byKind.items).toHaveLength(5);
    await expect(client.notifications.list.query({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
  });

  it('marks dashboard notifications read, idempotently, and refuses emails', async () => {
    const partner = await createPartner(db);
    await enqueueNotifications(db, { kind: 'partner_suspended', recipients: [{ partnerId: partner.id, dedupeKey: 'read', variables: suspension }] });
    const rows = await rowsFor(partner.id);
    const dashboard = rows.find((row) => row.channel === 'dashboard')!;
    const email = rows.find((row) => row.channel === 'email')!;
    const client = await server.client(['partner_manager']);
    expect(await client.notifications.markRead.mutate({ ids: [dashboard.id] })).toEqual({ read: 1, alreadyRead: 0 });
    expect(await client.notifications.markRead.mutate({ ids: [dashboard.id] })).toEqual({ read: 0, alreadyRead: 1 });
    await expect(client.notifications.markRead.mutate({ ids: [dashboard.id, email.id] })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
      message: expect.stringContaining(email.id),
    });
    const listed = await client.notifications.list.query({ partnerId: partner.id, state: 'read' });
    expect(listed.items).toEqual([expect.objectContaining({ id: dashboard.id, readAt: expect.any(Date) })]);
  });
});
