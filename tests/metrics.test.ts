import { createServer, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseConnection } from '../db/client.js';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createTestDatabase } from './helpers/db.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
// No scheduler: its delivery and effects jobs would empty the backlogs these tests build.
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });

const BACKLOG = [
  'referral_effects_queued_events',
  'referral_effects_oldest_seconds',
  'notifications_outbox_pending',
  'notifications_outbox_oldest_seconds',
  'webhook_deliveries_pending',
  'webhook_deliveries_oldest_seconds',
] as const;
type Gauges = Record<(typeof BACKLOG)[number], number>;

/** Scrapes /metrics over HTTP, expecting a 200, and reads the backlog gauges (NaN for prom-client's "Nan"). */
async function scrape(url = server.url): Promise<{ text: string; gauges: Gauges }> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const gauges = Object.fromEntries(
    BACKLOG.map((name) => {
      const sample = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      if (!sample) throw new Error(`${name} is missing from /metrics`);
      return [name, Number(sample[1])];
    }),
  ) as Gauges;
  return { text, gauges };
}

/** Tolerance for the time between inserting a row and the scrape reading its age. */
const AGE_SLACK_SECONDS = 30;
const ago = (seconds: number) => sql`now() - make_interval(secs => ${seconds})`;

async function createUser(): Promise<string> {
  const result = await db.execute<{ id: string }>(sql`
    insert into users (email, name, roles) values (${`metrics-${crypto.randomUUID()}@example.com`}, 'Staff', array['affiliate_admin'])
    returning id`);
  return result.rows[0]!.id;
}

async function insertNotification(userId: string, channel: 'email' | 'dashboard', state: string, ageSeconds: number, nextAttemptInSeconds = 0) {
  await db.execute(sql`
    insert into notifications (kind, channel, user_id, subject, body_text, body_html, summary, dedupe_key, state, created_at, next_attempt_at)
    values ('custom_message', ${channel}, ${userId}, 'subject', 'text', '<p>html</p>', 'summary', ${crypto.randomUUID()}, ${state},
            ${ago(ageSeconds)}, now() + make_interval(secs => ${nextAttemptInSeconds}))`);
}

async function createEndpoint(status: 'active' | 'disabled', deleted = false): Promise<string> {
  const result = await db.execute<{ id: string }>(sql`
    insert into webhook_endpoints (url, events, secret, created_by, status, disabled_at, deleted_at)
    values ('https://hooks.example.com/in', array['payout.paid'], 'secret', 'test', ${status},
            ${status === 'disabled' ? sql`now()` : null}, ${deleted ? sql`now()` : null})
    returning id`);
  return result.rows[0]!.id;
}

async function insertDelivery(endpointId: string, state: string, ageSeconds: number) {
  await db.execute(sql`
    insert into webhook_deliveries (endpoint_id, event_id, event_type, body, state, created_at)
    values (${endpointId}, gen_random_uuid(), 'payout.paid', '{}', ${state}, ${ago(ageSeconds)})`);
}

/** Last registered, first run. */
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' });

/** The app alone (no scheduler, no migrations) on port 0 over the given connection, its warnings kept. */
async function appOn(connection: DatabaseConnection) {
  const logs: { level: number; msg: string }[] = [];
  const app = await buildApp({
    config,
    db: connection.db,
    verifyToken: async () => {
      throw new Error('no tokens here');
    },
    schedulerRunning: () => false,
    logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line) as { level: number; msg: string }) } },
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(async () => {
    await app.close();
    await connection.close();
  });
  return { address, logs };
}

afterEach(async () => {
  await db.execute(sql`delete from referral_effects_queue`);
  await db.execute(sql`delete from notifications`);
  await db.execute(sql`delete from webhook_deliveries`);
  await db.execute(sql`delete from webhook_endpoints`);
});

describe('backlog gauges on /metrics', () => {
  it('read 0 when nothing is queued', async () => {
    const { gauges } = await scrape();
    expect(gauges).toEqual(Object.fromEntries(BACKLOG.map((name) => [name, 0])));
  });

  it('count the queued events of the effects queue and the age of its oldest call', async () => {
    await db.execute(sql`
      insert into referral_effects_queue (event_ids, actor_id, created_at)
      values (array[1, 2, 3]::bigint[], 'api-key:a', ${ago(600)}),
             (array[4, 5]::bigint[], 'api-key:a', ${ago(120)}),
             (array[6]::bigint[], 'api-key:b', now())`);
    const { gauges } = await scrape();
    expect(gauges.referral_effects_queued_events).toBe(6);
    expect(gauges.referral_effects_oldest_seconds).toBeGreaterThanOrEqual(600);
    expect(gauges.referral_effects_oldest_seconds).toBeLessThan(600 + AGE_SLACK_SECONDS);
  });

  it('count the emails not sent yet, retrying ones included, and not sent, dead or dashboard rows', async () => {
    const userId = await createUser();
    await insertNotification(userId, 'email', 'pending', 900);
    await insertNotification(userId, 'email', 'failed', 300, 3_600); // waiting for its retry
    await insertNotification(userId, 'email', 'sent', 5_000);
    await insertNotification(userId, 'email', 'dead', 8_000);
    await insertNotification(userId, 'dashboard', 'sent', 9_000);
    await insertNotification(userId, 'dashboard', 'read', 9_500);
    const { gauges } = await scrape();
    expect(gauges.notifications_outbox_pending).toBe(2);
    expect(gauges.notifications_outbox_oldest_seconds).toBeGreaterThanOrEqual(900);
    expect(gauges.notifications_outbox_oldest_seconds).toBeLessThan(900 + AGE_SLACK_SECONDS);
  });

  it('count the webhook deliveries the sender will pick up, not delivered, dead or held ones', async () => {
    const active = await createEndpoint('active');
    await insertDelivery(active, 'pending', 700);
    await insertDelivery(active, 'failed', 100);
    await insertDelivery(active, 'sent', 5_000);
    await insertDelivery(active, 'dead', 6_000);
    // Held until an operator enables the endpoint again, or given up with it: not the sender's backlog.
    await insertDelivery(await createEndpoint('disabled'), 'pending', 9_000);
    await insertDelivery(await createEndpoint('active', true), 'failed', 9_500);
    const { gauges } = await scrape();
    expect(gauges.webhook_deliveries_pending).toBe(2);
    expect(gauges.webhook_deliveries_oldest_seconds).toBeGreaterThanOrEqual(700);
    expect(gauges.webhook_deliveries_oldest_seconds).toBeLessThan(700 + AGE_SLACK_SECONDS);
  });

  it('read the backlog with one statement per scrape', async () => {
    const connection = connectDatabase(database.url, { max: 2 });
    let statements = 0;
    const query = connection.pool.query.bind(connection.pool);
    connection.pool.query = ((...args: Parameters<typeof query>) => {
      statements++;
      return query(...args);
    }) as typeof query;
    const { address } = await appOn(connection);
    const { gauges } = await scrape(address);
    expect(gauges.referral_effects_queued_events).toBe(0);
    expect(statements).toBe(1);
  });
});

describe('/metrics without the database', () => {
  async function expectAnswerWithoutBacklog(address: string, logs: { level: number; msg: string }[]) {
    await fetch(`${address}/healthz`);
    const { text, gauges } = await scrape(address);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
    for (const name of BACKLOG) expect(gauges[name], name).toBeNaN();
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('backlog metrics unavailable') }));
  }

  it('still answers with the process and HTTP metrics when the database refuses connections', async () => {
    const refusing = createServer();
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const { port } = refusing.address() as { port: number };
    await new Promise<void>((resolve) => refusing.close(() => resolve())); // nothing listens on the port now
    const { address, logs } = await appOn(connectDatabase(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 2 }));
    await expectAnswerWithoutBacklog(address, logs);
  });

  it('still answers, within seconds, when the database accepts connections and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const { address, logs } = await appOn(connectDatabase(`postgresql://postgres@127.0.0.1:${port}/postgres`, { max: 2 }));
    // Runs before the app's cleanup: the pool cannot close while its connection attempt waits on this server.
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const started = Date.now();
    await expectAnswerWithoutBacklog(address, logs);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
