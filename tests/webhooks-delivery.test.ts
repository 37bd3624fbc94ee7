import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../db/client.js';
import { communicationSettings, configureCommunications } from '../server/domain/communications/settings.js';
import { deliverDueWebhooks } from '../server/domain/webhooks/delivery.js';
import { createWebhookPoster } from '../server/domain/webhooks/http.js';
import { emitEvent, emitEvents, verifyWebhookSignature } from '../server/domain/webhooks/index.js';
import { isPrivateAddress } from '../server/domain/webhooks/targets.js';
import { createStaffUser } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const receiver = await startWebhookReceiver();
afterAll(() => receiver.close());

const owner = await createStaffUser(db, ['affiliate_admin']);
const admin = await server.client(['affiliate_admin'], { sub: owner.id });
const post = createWebhookPoster({ allowPrivateTargets: true, timeoutMs: 5000 });
const options = { retry: { maxAttempts: 3, baseSeconds: 30, maxSeconds: 3600 }, disableAfterFailures: 20 };
const seconds = (from: Date, count: number) => new Date(from.getTime() + count * 1000);
/** A run's clock a moment ahead of the database's, so rows written just now (microseconds) are due. */
const soon = () => seconds(new Date(), 1);

// Each test starts with nothing due and no endpoint listening, so counts are this test's own.
beforeEach(async () => {
  await db.execute(sql`update webhook_deliveries set state = 'dead' where state in ('pending', 'failed')`);
  await db.execute(sql`update webhook_endpoints set deleted_at = now() where deleted_at is null`);
  receiver.received.length = 0;
  receiver.respondWith(200);
});

async function deliveriesOf(endpointId: string) {
  const result = await db.execute<{ state: string; attempts: number; last_status_code: number | null; next_attempt_at: string }>(
    sql`select state, attempts, last_status_code, next_attempt_at from webhook_deliveries where endpoint_id = ${endpointId} order by created_at, id`,
  );
  return result.rows;
}

describe('webhook endpoints', () => {
  it('returns the signing secret once, lists endpoints without it, and audits without it', async () => {
    const created = await admin.webhooks.create.mutate({ url: receiver.url, events: ['partner.suspended'], description: 'CRM sync' });
    expect(created.secret).toMatch(/^whsec_[\w-]{43}$/);
    const listed = await admin.webhooks.list.query({});
    expect(listed.items).toEqual([expect.objectContaining({ id: created.id, url: receiver.url, events: ['partner.suspended'], status: 'active' })]);
    expect(listed.items[0]).not.toHaveProperty('secret');
    const audit = await db.execute<{ after: unknown }>(sql`select after from activity where entity_id = ${created.id}`);
    expect(JSON.stringify(audit.rows)).not.toContain(created.secret);
  });

  it('refuses URLs that are not http(s) and names the field', async () => {
    for (const url of ['ftp://example.com/hook', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      await expect(admin.webhooks.create.mutate({ url, events: ['payout.paid'] })).rejects.toMatchObject({
        data: { code: 'BAD_REQUEST' },
        message: expect.stringContaining('url:'),
      });
    }
    await expect(admin.webhooks.create.mutate({ url: receiver.url, events: [] })).rejects.toMatchObject({ data: { code: 'BAD_REQUEST' } });
    await expect(admin.webhooks.create.mutate({ url: receiver.url, events: ['partner.born' as never] })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
    });
  });

  it('refuses private and loopback targets when they are not allowed (production), before and at delivery', async () => {
    const settings = communicationSettings();
    configureCommunications({ ...settings, allowPrivateWebhookTargets: false });
    try {
      for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'https://user:pw@example.com/hook']) {
        await expect(admin.webhooks.create.mutate({ url, events: ['payout.paid'] }), url).rejects.toMatchObject({
          data: { code: 'BAD_REQUEST' },
          message: expect.stringContaining('url:'),
        });
      }
      const publicEndpoint = await admin.webhooks.create.mutate({ url: 'https://93.184.215.14/hook', events: ['payout.paid'] });
      expect(publicEndpoint.url).toBe('https://93.184.215.14/hook');
    } finally {
      configureCommunications(settings);
    }
    const guarded = createWebhookPoster({ allowPrivateTargets: false });
    await expect(guarded({ url: receiver.url, body: '{}', headers: {} })).rejects.toThrow(/private address/);
    expect(receiver.received).toHaveLength(0);
    expect(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '0.0.0.0'].filter((ip) => !isPrivateAddress(ip))).toEqual([]);
    expect(['93.184.215.14', '8.8.8.8', '2606:4700::1111'].filter(isPrivateAddress)).toEqual([]);
  });

  it('deletes an endpoint: its undelivered events are given up, and it gets no new ones', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['payout.failed'] });
    await emitEvent(db, { type: 'payout.failed', payload: { payoutId: 'p1' } });
    expect(await admin.webhooks.delete.mutate({ id: endpoint.id })).toEqual({ id: endpoint.id, deleted: true, abandonedDeliveries: 1 });
    expect((await deliveriesOf(endpoint.id)).map((delivery) => delivery.state)).toEqual(['dead']);
    expect(await emitEvent(db, { type: 'payout.failed', payload: { payoutId: 'p2' } })).toEqual({ deliveries: 0 });
    expect((await admin.webhooks.list.query({})).items.map((item) => item.id)).not.toContain(endpoint.id);
    await expect(admin.webhooks.delete.mutate({ id: endpoint.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });
});

describe('webhook delivery', () => {
  it('signs each delivery so a real receiver can verify it, and only subscribed endpoints get it', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['partner.suspended', 'partner.reactivated'] });
    const other = await admin.webhooks.create.mutate({ url: `${receiver.url}/other`, events: ['payout.paid'] });
    const emitted = await db.transaction((tx) => emitEvent(tx, { type: 'partner.suspended', payload: { partnerId: 'abc', reasonCode: 'fraud' } }));
    expect(emitted).toEqual({ deliveries: 1 });

    expect(await deliverDueWebhooks(db, post, options, soon())).toEqual({ claimed: 1, sent: 1, retrying: 0, dead: 0, endpointsDisabled: 0 });
    expect(receiver.received).toHaveLength(1);
    const request = receiver.received[0]!;
    const event = JSON.parse(request.body) as { id: string; type: string; createdAt: string; data: unknown };
    expect(event).toMatchObject({ type: 'partner.suspended', data: { partnerId: 'abc', reasonCode: 'fraud' } });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-affiliate-ops-event']).toBe('partner.suspended');
    expect(request.headers['x-affiliate-ops-event-id']).toBe(event.id);

    // The receiver's check, written out: HMAC-SHA256 over "<t>.<raw body>" with the endpoint's secret.
    const header = String(request.headers['x-affiliate-ops-signature']);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(match).not.toBeNull();
    const [, timestamp, signature] = match!;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(createHmac('sha256', endpoint.secret).update(`${timestamp}.${request.body}`).digest('hex')).toBe(signature);

    expect(verifyWebhookSignature({ secret: endpoint.secret, header, body: request.body })).toEqual({ valid: true, timestamp: Number(timestamp) });
    expect(verifyWebhookSignature({ secret: endpoint.secret, header, body: request.body.replace('fraud', 'other') })).toMatchObject({ valid: false, reason: 'signature mismatch' });
    expect(verifyWebhookSignature({ secret: other.secret, header, body: request.body })).toMatchObject({ valid: false });
    expect(verifyWebhookSignature({ secret: endpoint.secret, header, body: request.body, nowSeconds: Number(timestamp) + 301 })).toMatchObject({
      valid: false,
      reason: 'timestamp outside the tolerance window',
    });
    expect(verifyWebhookSignature({ secret: endpoint.secret, header: undefined, body: request.body })).toMatchObject({ valid: false });

    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ state: 'sent', attempts: 1, last_status_code: 200 })]);
    expect(await deliveriesOf(other.id)).toEqual([]);
    const log = await admin.webhooks.deliveries.query({ endpointId: endpoint.id });
    expect(log.items).toEqual([expect.objectContaining({ eventId: event.id, eventType: 'partner.suspended', state: 'sent', body: request.body })]);
  });

  it('writes deliveries only if the emitting transaction commits', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['commission.created'] });
    await expect(
      db.transaction(async (tx) => {
        await emitEvents(tx, [{ type: 'commission.created', payload: { commissionId: 'c1' } }]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await deliveriesOf(endpoint.id)).toEqual([]);
  });

  it('retries a failing delivery with backoff and gives up after the last attempt', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['payout.paid'] });
    await emitEvent(db, { type: 'payout.paid', payload: { payoutId: 'p1', amount: 1000, currency: 'USD' } });
    receiver.respondWith(500);
    const start = soon();
    expect(await deliverDueWebhooks(db, post, options, start)).toMatchObject({ claimed: 1, retrying: 1 });
    const [first] = await deliveriesOf(endpoint.id);
    expect(first).toMatchObject({ state: 'failed', attempts: 1, last_status_code: 500 });
    expect(new Date(first!.next_attempt_at)).toEqual(seconds(start, 30));
    expect(await deliverDueWebhooks(db, post, options, seconds(start, 29))).toMatchObject({ claimed: 0 });
    expect(await deliverDueWebhooks(db, post, options, seconds(start, 30))).toMatchObject({ claimed: 1, retrying: 1 });
    expect(new Date((await deliveriesOf(endpoint.id))[0]!.next_attempt_at)).toEqual(seconds(start, 90));
    expect(await deliverDueWebhooks(db, post, options, seconds(start, 90))).toMatchObject({ claimed: 1, dead: 1 });
    expect(await deliveriesOf(endpoint.id)).toEqual([expect.objectContaining({ state: 'dead', attempts: 3 })]);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((request) => request.body)).size).toBe(1);
  });

  it('disables an endpoint after 20 failures in a row and notifies the staff member who created it', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['fraud_flag.raised'] });
    const raise = (count: number) =>
      emitEvents(db, Array.from({ length: count }, (_, index) => ({ type: 'fraud_flag.raised' as const, payload: { flagId: `f${index}` } })));
    receiver.respondWith(503);
    await raise(19);
    expect(await deliverDueWebhooks(db, post, options, soon())).toMatchObject({ claimed: 19, retrying: 19, endpointsDisabled: 0 });

    // A success in between starts the count again.
    receiver.respondWith(200);
    await raise(1);
    expect(await deliverDueWebhooks(db, post, options, soon())).toMatchObject({ claimed: 1, sent: 1 });
    expect((await admin.webhooks.list.query({})).items[0]).toMatchObject({ status: 'active', consecutiveFailures: 0 });

    receiver.respondWith(503);
    await raise(20);
    expect(await deliverDueWebhooks(db, post, options, soon())).toMatchObject({ claimed: 20, retrying: 20, endpointsDisabled: 1 });
    expect((await admin.webhooks.list.query({ status: 'disabled' })).items).toEqual([
      expect.objectContaining({ id: endpoint.id, status: 'disabled', consecutiveFailures: 20, disabledAt: expect.any(Date) }),
    ]);

    const notices = await db.execute<{ kind: string; channel: string; state: string; subject: string; body_text: string }>(
      sql`select kind, channel, state, subject, body_text from notifications where user_id = ${owner.id}`,
    );
    expect(notices.rows).toEqual([
      expect.objectContaining({ kind: 'webhook_endpoint_disabled', channel: 'email', state: 'pending', subject: 'Webhook endpoint disabled after 20 failed deliveries' }),
    ]);
    expect(notices.rows[0]!.body_text).toContain(`The webhook endpoint ${receiver.url} failed 20 deliveries in a row`);
    expect(notices.rows[0]!.body_text).toContain('Last error: HTTP 503');
    const audit = await db.execute<{ actor_id: string }>(sql`select actor_id from activity where action = 'webhook.disable' and entity_id = ${endpoint.id}`);
    expect(audit.rows).toEqual([{ actor_id: 'system:webhook-delivery' }]);

    // Disabled: new events skip it and its retries wait.
    expect(await raise(1)).toEqual({ deliveries: 0 });
    receiver.received.length = 0;
    expect(await deliverDueWebhooks(db, post, options, seconds(soon(), 24 * 3600))).toMatchObject({ claimed: 0 });
    expect(receiver.received).toHaveLength(0);

    // Enabled again: failures count from zero, and the 39 retries held (19 + 20 that failed once) go out; the event
    // raised meanwhile was never queued for it.
    receiver.respondWith(200);
    expect(await admin.webhooks.enable.mutate({ id: endpoint.id })).toMatchObject({
      id: endpoint.id,
      status: 'active',
      consecutiveFailures: 0,
      disabledAt: null,
      heldDeliveries: 39,
    });
    expect(await deliverDueWebhooks(db, post, options, seconds(soon(), 24 * 3600))).toMatchObject({ claimed: 39, sent: 39, endpointsDisabled: 0 });
    expect((await deliveriesOf(endpoint.id)).map((delivery) => delivery.state)).toEqual(Array(40).fill('sent'));
    const enabled = await db.execute<{ actor_id: string; before: { status: string }; after: { status: string } }>(
      sql`select actor_id, before, after from activity where action = 'webhook.enable' and entity_id = ${endpoint.id}`,
    );
    expect(enabled.rows).toEqual([
      { actor_id: owner.id, before: expect.objectContaining({ status: 'disabled', consecutiveFailures: 20 }), after: { status: 'active', consecutiveFailures: 0, disabledAt: null, heldDeliveries: 39 } },
    ]);
  });

  it('enables only a disabled endpoint: an active one is a CONFLICT naming both statuses, a missing or deleted one NOT_FOUND, others FORBIDDEN', async () => {
    const endpoint = await admin.webhooks.create.mutate({ url: receiver.url, events: ['payout.paid'] });
    await expect(admin.webhooks.enable.mutate({ id: endpoint.id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: `Webhook endpoint ${endpoint.id} is active; it cannot become active`,
    });
    const manager = await server.client(['partner_manager']);
    await expect(manager.webhooks.enable.mutate({ id: endpoint.id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await admin.webhooks.delete.mutate({ id: endpoint.id });
    await expect(admin.webhooks.enable.mutate({ id: endpoint.id })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await expect(admin.webhooks.enable.mutate({ id: 'not-a-uuid' })).rejects.toMatchObject({
      data: { code: 'BAD_REQUEST' },
      message: expect.stringContaining('id'),
    });
    const audit = await db.execute(sql`select 1 from activity where action = 'webhook.enable' and entity_id = ${endpoint.id}`);
    expect(audit.rows).toHaveLength(0);
  });

  it('never sends one delivery twice when two workers run at the same time', async () => {
    await admin.webhooks.create.mutate({ url: receiver.url, events: ['agreement.accepted'] });
    await emitEvents(db, Array.from({ length: 30 }, (_, index) => ({ type: 'agreement.accepted' as const, payload: { index } })));
    const workers = [connectDatabase(database.url, { max: 2 }), connectDatabase(database.url, { max: 2 })];
    try {
      const runs = await Promise.all(workers.map((worker) => deliverDueWebhooks(worker.db, post, { ...options, batchSize: 4, concurrency: 2, maxBatches: 100 }, soon())));
      expect(runs[0]!.sent + runs[1]!.sent).toBe(30);
      const deliveryIds = receiver.received.map((request) => request.headers['x-affiliate-ops-delivery']);
      expect(deliveryIds).toHaveLength(30);
      expect(new Set(deliveryIds).size).toBe(30);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});
