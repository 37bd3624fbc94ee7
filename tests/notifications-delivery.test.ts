import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../db/client.js';
import { deliverDueNotifications } from '../server/domain/notifications/delivery.js';
import { createEmailSender } from '../server/domain/notifications/email.js';
import { enqueueNotifications } from '../server/domain/notifications/index.js';
import { createPartner } from './helpers/communications-factory.js';
import { createTestDatabase } from './helpers/db.js';
import { parseEmail, startSmtpSink } from './helpers/smtp-sink.js';

const database = await createTestDatabase();
const { db } = database;
const sink = await startSmtpSink();
afterAll(() => sink.close());

const quiet = { info: () => {} };
const send = createEmailSender({ smtpUrl: sink.url, from: 'Affiliate Ops <ops@example.com>', outboxDir: '/nonexistent', log: quiet });
const retry = { maxAttempts: 4, baseSeconds: 60, maxSeconds: 3600 };
const seconds = (from: Date, count: number) => new Date(from.getTime() + count * 1000);
/** A run's clock a moment ahead of the database's, so rows written just now (microseconds) are due. */
const soon = () => seconds(new Date(), 1);

async function emailRow(partnerId: string) {
  const result = await db.execute<{ id: string; state: string; attempts: number; next_attempt_at: Date; last_error: string | null; sent_at: Date | null }>(
    sql`select id, state, attempts, next_attempt_at, last_error, sent_at from notifications where partner_id = ${partnerId} and channel = 'email'`,
  );
  const row = result.rows[0]!;
  return { ...row, next_attempt_at: new Date(row.next_attempt_at) };
}

async function suspend(partnerId: string) {
  await enqueueNotifications(db, {
    kind: 'partner_suspended',
    channels: ['email'],
    recipients: [{ partnerId, dedupeKey: 'delivery-test', variables: { reasonCode: 'compliance', note: 'Your W-9 expired.' } }],
  });
}

// Each test starts with an empty outbox, so counts are this test's own.
beforeEach(async () => {
  await db.execute(sql`update notifications set state = 'dead' where channel = 'email' and state in ('pending', 'failed')`);
  sink.rejectWith(null);
  sink.received.length = 0;
});

describe('notification delivery', () => {
  it('sends an email through a real SMTP server with the rendered subject and text', async () => {
    const partner = await createPartner(db);
    await suspend(partner.id);
    const now = soon();
    expect(await deliverDueNotifications(db, send, { retry }, now)).toEqual({ claimed: 1, sent: 1, retrying: 0, dead: 0 });

    const row = await emailRow(partner.id);
    expect(row).toMatchObject({ state: 'sent', attempts: 1, last_error: null });
    expect(sink.received).toHaveLength(1);
    const email = sink.received[0]!;
    expect(email.to).toEqual([partner.email]);
    expect(email.from).toBe('ops@example.com');
    expect(email.subject).toBe('Your partner account has been suspended');
    expect(email.headers.get('x-affiliate-ops-notification')).toBe(row.id);
    expect(email.text).toContain('Your partner account has been suspended because of a compliance requirement.');
    expect(email.text).toContain('Note from our team: Your W-9 expired.');
    expect(email.text).toContain('This is a required notice about your partner account');
    expect(email.html).toContain('<p>Note from our team: Your W-9 expired.</p>');

    expect(await deliverDueNotifications(db, send, { retry }, seconds(now, 3600))).toMatchObject({ claimed: 0 });
    expect(sink.received).toHaveLength(1);
  });

  it('retries a refused email with exponential backoff and gives up after the last attempt', async () => {
    const partner = await createPartner(db);
    await suspend(partner.id);
    sink.rejectWith(451);
    const start = soon();
    const deliver = (at: number) => deliverDueNotifications(db, send, { retry }, seconds(start, at));

    expect(await deliver(0)).toEqual({ claimed: 1, sent: 0, retrying: 1, dead: 0 });
    let row = await emailRow(partner.id);
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row.last_error).toMatch(/451/);
    expect(row.next_attempt_at).toEqual(seconds(start, 60));

    expect(await deliver(59)).toMatchObject({ claimed: 0 });
    expect(await deliver(60)).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await emailRow(partner.id)).next_attempt_at).toEqual(seconds(start, 60 + 120));
    expect(await deliver(179)).toMatchObject({ claimed: 0 });
    expect(await deliver(180)).toMatchObject({ claimed: 1, retrying: 1 });
    expect((await emailRow(partner.id)).next_attempt_at).toEqual(seconds(start, 180 + 240));
    expect(await deliver(420)).toEqual({ claimed: 1, sent: 0, retrying: 0, dead: 1 });
    row = await emailRow(partner.id);
    expect(row).toMatchObject({ state: 'dead', attempts: 4, sent_at: null });

    sink.rejectWith(null);
    expect(await deliver(100_000)).toMatchObject({ claimed: 0 });
    expect(sink.received).toHaveLength(0);
  });

  it('sends a retried email once the server accepts it again', async () => {
    const partner = await createPartner(db);
    await suspend(partner.id);
    sink.rejectWith(421);
    const start = soon();
    await deliverDueNotifications(db, send, { retry }, start);
    sink.rejectWith(null);
    expect(await deliverDueNotifications(db, send, { retry }, seconds(start, 60))).toMatchObject({ claimed: 1, sent: 1 });
    expect(await emailRow(partner.id)).toMatchObject({ state: 'sent', attempts: 2, last_error: null });
    expect(sink.received.map((email) => email.to)).toEqual([[partner.email]]);
  });

  it('gives up at once on a recipient who has no address any more (erased)', async () => {
    const partner = await createPartner(db, { erased: true });
    await suspend(partner.id);
    expect(await deliverDueNotifications(db, send, { retry }, soon())).toEqual({ claimed: 1, sent: 0, retrying: 0, dead: 1 });
    expect(await emailRow(partner.id)).toMatchObject({ state: 'dead', attempts: 1, last_error: 'the recipient has no email address' });
  });

  it('never sends one message twice when two workers deliver at the same time', async () => {
    const workers = [connectDatabase(database.url, { max: 2 }), connectDatabase(database.url, { max: 2 })];
    try {
      const partners = await Promise.all(Array.from({ length: 40 }, () => createPartner(db)));
      await enqueueNotifications(db, {
        kind: 'custom_message',
        channels: ['email'],
        audience: sql`select id from partners where id in (${sql.join(partners.map((partner) => sql`${partner.id}::uuid`), sql`, `)})`,
        dedupeKey: 'race',
        variables: { subject: 'Race', message: 'Only once, please.' },
      });
      const runs = await Promise.all(workers.map((worker) => deliverDueNotifications(worker.db, send, { retry, batchSize: 3, concurrency: 2, maxBatches: 100 }, soon())));
      expect(runs.reduce((sum, run) => sum + run.sent, 0)).toBe(40);
      const ids = sink.received.map((email) => email.headers.get('x-affiliate-ops-notification'));
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      expect(new Set(sink.received.map((email) => email.to[0]))).toEqual(new Set(partners.map((partner) => partner.email)));
      const states = await db.execute<{ state: string; attempts: number; count: number }>(sql`
        select state, attempts, count(*)::int as count from notifications where dedupe_key like 'custom_message:race:%' group by 1, 2`);
      expect(states.rows).toEqual([{ state: 'sent', attempts: 1, count: 40 }]);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
    }
  });
});

describe('development outbox', () => {
  it('writes each email as an .eml file a person can open, when no SMTP server is configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ao-outbox-'));
    try {
      const lines: object[] = [];
      const writeToFolder = createEmailSender({ from: 'ops@example.com', outboxDir: join(dir, 'outbox'), log: { info: (obj) => lines.push(obj) } });
      const partner = await createPartner(db);
      await suspend(partner.id);
      expect(await deliverDueNotifications(db, writeToFolder, { retry }, soon())).toMatchObject({ sent: 1 });
      const row = await emailRow(partner.id);
      expect(await readdir(join(dir, 'outbox'))).toEqual([`${row.id}.eml`]);
      const email = parseEmail(await readFile(join(dir, 'outbox', `${row.id}.eml`), 'utf8'));
      expect(email.subject).toBe('Your partner account has been suspended');
      expect(email.headers.get('to')).toBe(partner.email);
      expect(email.text).toContain('Note from our team: Your W-9 expired.');
      expect(lines).toEqual([expect.objectContaining({ to: partner.email, file: join(dir, 'outbox', `${row.id}.eml`) })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
