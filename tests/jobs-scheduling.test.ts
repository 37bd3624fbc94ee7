import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseConnection } from '../db/client.js';
import { complianceJob } from '../jobs/compliance.js';
import { retentionJob } from '../jobs/retention.js';
import { createScheduler, type Scheduler } from '../jobs/scheduler.js';
import type { JobDefinition } from '../jobs/types.js';
import { runJobNow } from '../server/domain/jobs/jobs.js';
import { createTestDatabase } from './helpers/db.js';
import { countRows, createJobPartner, createJobProgram, insertDocument, notificationsTo, partnerStates } from './helpers/factories/partner-jobs.js';
import { waitFor } from './helpers/poll.js';

// Agreements are global: the killed compliance job gets a database of its own, so the scenarios cannot meet.
const database = await createTestDatabase();
const killDatabase = await createTestDatabase();
const { db } = database;
const tiers = [{ name: 'standard', rateType: 'percentage' as const, value: 1000 }];
const silentLog = { info() {}, error() {} };

const connections: DatabaseConnection[] = [];
afterAll(async () => {
  for (const connection of connections) await connection.close();
});
function connect(url = database.url): DatabaseConnection {
  const connection = connectDatabase(url);
  connections.push(connection);
  return connection;
}

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  return (await db.execute(query)).rows[0] as T;
}

/** A session of its own, for holding locks a job has to wait for. */
async function lockHolder(url = database.url): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('two scheduler instances on one database', () => {
  const GATE = 4242;

  /** The job, recorded in job_probe on each execution, first waiting at a gate the test may hold shut. */
  function probed(job: JobDefinition): JobDefinition {
    return {
      ...job,
      every: '1 second',
      async run(context) {
        const { id } = await one<{ id: number }>(sql`insert into job_probe (job) values (${job.name}) returning id`);
        await context.db.transaction((tx) => tx.execute(sql`select pg_advisory_xact_lock_shared(${GATE})`));
        const counts = await job.run(context);
        await db.execute(sql`update job_probe set finished_at = clock_timestamp() where id = ${id}`);
        return counts;
      },
    };
  }

  /** A pool that counts the scheduler's attempts to take the next occurrence of `jobName`. */
  function countingPool(pool: pg.Pool, jobName: string) {
    const polls = { count: 0 };
    const proxy = new Proxy(pool, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (text: unknown, values?: unknown[]) => {
          if (typeof text === 'string' && text.includes('locked_at <= $4') && values?.[1] === jobName) polls.count++;
          return target.query(text as string, values);
        };
      },
    });
    return { pool: proxy, polls };
  }

  it('runs each occurrence once, on one instance, while the other keeps polling', async () => {
    await db.execute(sql`create table job_probe (id serial primary key, job text not null, started_at timestamptz not null default clock_timestamp(), finished_at timestamptz)`);
    const programId = await createJobProgram(db, 'Scheduled', { commissionTiers: tiers, rules: { inactivityDays: 30, churnDays: 60 } });
    const quiet = await createJobPartner(db, { programId, tier: 'standard', lastActivityAt: new Date(Date.now() - 45 * 86_400_000).toISOString() });

    const gate = await lockHolder();
    await gate.query('select pg_advisory_lock($1)', [GATE]);
    const instances = [connect(), connect()].map((connection) => {
      const counted = countingPool(connection.pool, 'retention');
      const scheduler = createScheduler({ pool: counted.pool, db: connection.db, jobs: [probed(retentionJob('1 second'))], processEvery: '0.1 seconds', log: silentLog });
      return { scheduler, polls: counted.polls };
    });
    const schedulers: Scheduler[] = instances.map((instance) => instance.scheduler);
    let manualRequest: string | undefined;
    try {
      await Promise.all(schedulers.map((scheduler) => scheduler.start()));

      // The first occurrence is taken and held at the gate; both instances go on looking for work meanwhile.
      await waitFor(async () => (await countRows(db, 'job_probe')) === 1, { what: 'the first run to start' });
      const pollsThen = instances.map((instance) => instance.polls.count);
      await waitFor(() => instances.every((instance, index) => instance.polls.count >= pollsThen[index]! + 3), { what: 'both instances to poll again' });
      expect(await countRows(db, 'job_probe')).toBe(1);

      await gate.query('select pg_advisory_unlock($1)', [GATE]);
      manualRequest = (await runJobNow(db, { userId: 'admin', roles: ['affiliate_admin'], requestId: null }, 'retention')).requestId;
      await waitFor(
        async () => {
          const finished = await one<{ scheduled: number; manual: number }>(sql`
            select count(*) filter (where trigger = 'schedule')::int as scheduled, count(*) filter (where trigger = 'manual')::int as manual
            from job_runs where job_name = 'retention' and finished_at is not null`);
          return finished.scheduled >= 3 && finished.manual === 1;
        },
        { what: 'three scheduled runs and the manual one' },
      );
    } finally {
      await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
      await gate.end();
    }

    const runs = await db.execute<{ occurrence_key: string; trigger: string; error: string | null }>(
      sql`select occurrence_key, trigger, error from job_runs where job_name = 'retention' order by started_at`,
    );
    // Every execution went through the run log once and none failed; the scheduled occurrences ran one after the
    // other (a manual run is an occurrence of its own and may overlap one: the job's own lock serializes their
    // writes), and the manual request ran exactly once, on whichever instance took it.
    expect(await countRows(db, 'job_probe')).toBe(runs.rows.length);
    expect(runs.rows.filter((run) => run.error !== null)).toEqual([]);
    expect(runs.rows.filter((run) => run.trigger === 'manual').map((run) => run.occurrence_key)).toEqual([`manual:${manualRequest}`]);
    const overlapping = await one<{ count: number }>(sql`
      select count(*)::int as count from (
        select started_at, lag(finished_at) over (order by started_at) as previous_finished_at
        from job_runs where job_name = 'retention' and trigger = 'schedule'
      ) scheduled where started_at < previous_finished_at`);
    expect(overlapping.count).toBe(0);
    const repeating = await one<{ count: number }>(sql`select count(*)::int as count from agenda_jobs where name = 'retention' and repeat_interval is not null`);
    expect(repeating.count).toBe(1);
    // However often it ran, the partner was re-engaged once (email and dashboard).
    expect(await notificationsTo(db, [quiet], ['re_engagement'])).toHaveLength(2);
  });
});

describe('a job killed mid-run', () => {
  const { db } = killDatabase;

  it('leaves nothing behind, and the next run does all of it exactly once', async () => {
    const now = new Date('2025-06-01T08:00:00Z');
    const programId = await createJobProgram(db, 'Killed', {
      commissionTiers: tiers,
      rules: { requiredDocuments: ['w9'], agreementGraceDays: 5, suspendAfterAgreementGrace: true },
    });
    const [expiring, lapsed, behind] = [
      await createJobPartner(db, { programId, tier: 'standard' }),
      await createJobPartner(db, { programId, tier: 'standard' }),
      await createJobPartner(db, { programId, tier: 'standard' }),
    ];
    await insertDocument(db, expiring, { kind: 'w9', expiresOn: '2025-06-15' });
    await insertDocument(db, lapsed, { kind: 'w9', expiresOn: '2025-05-15' });
    await insertDocument(db, behind, { kind: 'w9', expiresOn: '2026-05-15' });
    const versions = await db.execute<{ id: string; version: number }>(sql`
      insert into agreement_versions (version, title, body, content_hash, requires_reacceptance, published_by, created_at)
      values (1, 'Terms', 'v1', 'h1', true, 'legal', '2025-01-01T00:00:00Z'), (2, 'Terms', 'v2', 'h2', true, 'legal', '2025-05-01T00:00:00Z')
      returning id, version`);
    const versionId = (version: number) => versions.rows.find((row) => row.version === version)!.id;
    for (const [partnerId, version] of [[expiring, 2], [lapsed, 2], [behind, 1]] as const) {
      await db.execute(sql`
        insert into agreement_acceptances (partner_id, agreement_version_id, accepted_at, recorded_by)
        values (${partnerId}, ${versionId(version)}, '2025-05-02T00:00:00Z', 'test')`);
    }
    const partners = [expiring, lapsed, behind];
    const job = complianceJob('1 hour');
    const worker = connect(killDatabase.url);
    // pg-pool listens for a client's errors only while it is idle; the killed session reports its end while checked
    // out, which would otherwise be an uncaught error (db/client.ts does not listen for it either).
    worker.pool.on('connect', (client) => client.on('error', () => {}));

    // Hold the row the job must lock last, after it has written reminders, a hold and agreement reminders.
    const blocker = await lockHolder(killDatabase.url);
    await blocker.query('begin');
    await blocker.query('select id from partners where id = $1 for no key update', [behind]);
    const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const killed = job.run({ db: worker.db, now }).then(
      () => 'finished',
      (error: unknown) => `${String(error)} ${String((error as { cause?: unknown }).cause)}`,
    );
    try {
      const waiting = await waitFor(
        async () => {
          // Asked from outside the blocker's transaction, which would keep seeing its first activity snapshot.
          const result = await db.execute<{ pid: number; query: string }>(
            sql`select pid, query from pg_stat_activity where ${blockerPid}::int = any(pg_blocking_pids(pid))`,
          );
          return result.rows[0];
        },
        { what: 'the job to wait for the locked partner' },
      );
      // It waits in the suspension, its last step: the reminders and the hold before it are written, not committed.
      expect(waiting.query).toContain('with target as');
      await blocker.query('select pg_terminate_backend($1)', [waiting.pid]);
      expect(await killed).toMatch(/terminat/i);
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }

    expect(await notificationsTo(db, partners)).toEqual([]);
    expect(await countRows(db, 'partner_holds')).toBe(0);
    expect((await partnerStates(db, partners))[behind]!.status).toBe('active');

    const counts = await job.run({ db: worker.db, now });
    expect(counts).toMatchObject({ expiryReminders: 2, holdsPlaced: 1, holdNotices: 2, agreementReminders: 2, suspended: 1, suspensionNotices: 2 });
    const sent = await notificationsTo(db, partners);
    expect(sent.map((notification) => [notification.partnerId, notification.kind, notification.channel]).sort()).toEqual(
      [
        [expiring, 'document_expiring', 'dashboard'],
        [expiring, 'document_expiring', 'email'],
        [lapsed, 'document_expired_hold', 'dashboard'],
        [lapsed, 'document_expired_hold', 'email'],
        [behind, 'agreement_reminder', 'dashboard'],
        [behind, 'agreement_reminder', 'email'],
        [behind, 'partner_suspended', 'dashboard'],
        [behind, 'partner_suspended', 'email'],
      ].sort(),
    );
    const holds = await db.execute<{ partner_id: string; source: string }>(sql`select partner_id, source from partner_holds order by source`);
    expect(holds.rows.map((hold) => [hold.partner_id, hold.source.split(':')[0]])).toEqual([
      [lapsed, 'document-expired'],
      [behind, 'suspension'],
    ]);
    expect(await countRows(db, 'partner_status_history')).toBe(1);

    const again = await job.run({ db: worker.db, now });
    expect(again).toMatchObject({ expiryReminders: 0, holdsPlaced: 0, holdNotices: 0, agreementReminders: 0, suspended: 0, suspensionNotices: 0 });
    expect(await notificationsTo(db, partners)).toHaveLength(sent.length);
  });
});
