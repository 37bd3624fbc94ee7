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

const database = await createTestDatabase();
const { db } = database;
const tiers = [{ name: 'standard', rateType: 'percentage' as const, value: 1000 }];
const silentLog = { info() {}, error() {} };

const connections: DatabaseConnection[] = [];
afterAll(async () => {
  for (const connection of connections) await connection.close();
});
function connect(): DatabaseConnection {
  const connection = connectDatabase(database.url);
  connections.push(connection);
  return connection;
}

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  return (await db.execute(query)).rows[0] as T;
}

/** A session of its own, for holding locks a job has to wait for. */
async function lockHolder(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
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
      const scheduler = createScheduler({ pool: counted.pool, db: connection.db, jobs: [probed(retentionJob('1 second'))], processEvery: '100 milliseconds', log: silentLog });
      return { scheduler, polls: counted.polls };
    });
    const schedulers: Scheduler[] = instances.map((instance) => instance.scheduler);
    try {
      await Promise.all(schedulers.map((scheduler) => scheduler.start()));

      // The first occurrence is taken and held at the gate; both instances go on looking for work meanwhile.
      await waitFor(async () => (await countRows(db, 'job_probe')) === 1, { what: 'the first run to start' });
      const pollsThen = instances.map((instance) => instance.polls.count);
      await waitFor(() => instances.every((instance, index) => instance.polls.count >= pollsThen[index]! + 3), { what: 'both instances to poll again' });
      expect(await countRows(db, 'job_probe')).toBe(1);

      await gate.query('select pg_advisory_unlock($1)', [GATE]);
      const manual = await runJobNow(db, { userId: 'admin', roles: ['affiliate_admin'], requestId: null }, 'retention');
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
    const executions = await db.execute<{ started_at: string; finished_at: string | null }>(
      sql`select started_at::text, finished_at::text from job_probe order by started_at`,
    );
    // Every execution went through the run log once, none failed, and none overlapped another: the scheduled and
    // the manual occurrence each ran exactly once, on whichever instance took it.
    expect(executions.rows).toHaveLength(runs.rows.length);
    expect(runs.rows.filter((run) => run.error !== null)).toEqual([]);
    expect(runs.rows.filter((run) => run.trigger === 'manual').map((run) => run.occurrence_key)).toEqual([`manual:${manual.requestId}`]);
    for (let index = 1; index < executions.rows.length; index++) {
      expect(executions.rows[index]!.started_at >= executions.rows[index - 1]!.finished_at!).toBe(true);
    }
    expect(await countRows(db, 'agenda_jobs')).toBeGreaterThanOrEqual(1);
    const repeating = await one<{ count: number }>(sql`select count(*)::int as count from agenda_jobs where name = 'retention' and repeat_interval is not null`);
    expect(repeating.count).toBe(1);
    // However often it ran, the partner was re-engaged once (email and dashboard).
    expect(await notificationsTo(db, [quiet], ['re_engagement'])).toHaveLength(2);
  });
});

describe('a job killed mid-run', () => {
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
    const worker = connect();

    // Hold the row the job must lock last, after it has written reminders, a hold and agreement reminders.
    const blocker = await lockHolder();
    await blocker.query('begin');
    await blocker.query('select id from partners where id = $1 for update', [behind]);
    const killed = job.run({ db: worker.db, now }).then(
      () => 'finished',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const waiting = await waitFor(
      async () => {
        const result = await blocker.query<{ pid: number }>(
          `select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%for update of p%'`,
        );
        return result.rows[0]?.pid;
      },
      { what: 'the job to wait for the locked partner' },
    );
    await blocker.query('select pg_terminate_backend($1)', [waiting]);
    expect(await killed).toMatch(/terminat/i);
    await blocker.query('rollback');
    await blocker.end();

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
