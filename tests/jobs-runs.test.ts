import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { listJobs } from '../server/domain/jobs/jobs.js';
import { runLogged } from '../server/domain/jobs/runs.js';
import { createTestDatabase } from './helpers/db.js';
import { waitFor } from './helpers/poll.js';
import { startTestServer } from './helpers/server.js';

const database = await createTestDatabase();
const { db } = database;
const server = await startTestServer(database, { NOTIFICATION_DELIVERY_EVERY: '1 hour', WEBHOOK_DELIVERY_EVERY: '1 hour' });
const admin = await server.client(['affiliate_admin']);

async function runsOf(jobName: string) {
  const result = await db.execute<{ occurrence_key: string; trigger: string; counts: unknown; error: string | null; duration_ms: number | null }>(
    sql`select occurrence_key, trigger, counts, error, duration_ms from job_runs where job_name = ${jobName} order by id`,
  );
  return result.rows;
}

describe('job run log', () => {
  it('records each run with its counts and duration, and an occurrence only once', async () => {
    const occurrence = { jobName: 'log-test', occurrenceKey: 'slot-1', trigger: 'schedule' as const };
    expect(await runLogged(db, occurrence, async () => ({ processed: 3 }))).toMatchObject({ ran: true, counts: { processed: 3 } });
    let calls = 0;
    expect(
      await runLogged(db, occurrence, async () => {
        calls++;
        return {};
      }),
    ).toEqual({ ran: false });
    expect(calls).toBe(0);
    expect(await runsOf('log-test')).toEqual([{ occurrence_key: 'slot-1', trigger: 'schedule', counts: { processed: 3 }, error: null, duration_ms: expect.any(Number) }]);
  });

  it('records a failed run’s error and still lets the scheduler see the failure', async () => {
    await expect(
      runLogged(db, { jobName: 'failing-test', occurrenceKey: 'slot-1', trigger: 'schedule' }, async () => {
        throw new Error('SMTP server unreachable');
      }),
    ).rejects.toThrow('SMTP server unreachable');
    await runLogged(db, { jobName: 'failing-test', occurrenceKey: 'slot-2', trigger: 'manual' }, async () => ({ sent: 1 }));
    // jobs.list reads the schedules the scheduler registered; register this one like it would.
    await db.execute(sql`insert into agenda_jobs (name, type, repeat_interval, next_run_at) values ('failing-test', 'single', '1 hour', now() + interval '1 hour')`);
    const job = (await listJobs(db)).find((entry) => entry.name === 'failing-test');
    expect(job).toMatchObject({
      schedule: '1 hour',
      lastRun: { trigger: 'manual', counts: { sent: 1 }, error: null },
      lastError: { error: 'SMTP server unreachable', at: expect.any(Date) },
    });
  });
});

describe('jobs procedures', () => {
  it('lists every scheduled job with its schedule and last run', async () => {
    const jobs = await waitFor(
      async () => {
        const listed = await admin.jobs.list.query();
        return listed.filter((job) => ['audit-seal', 'notification-delivery', 'webhook-delivery'].includes(job.name) && job.lastRun?.finishedAt).length === 3 && listed;
      },
      { what: 'the first run of every job', timeoutMs: 20_000 },
    );
    expect(jobs.find((job) => job.name === 'notification-delivery')).toMatchObject({
      schedule: '1 hour',
      lastRun: { trigger: 'schedule', error: null, counts: { claimed: 0, sent: 0, retrying: 0, dead: 0 }, durationMs: expect.any(Number) },
    });
    expect(jobs.find((job) => job.name === 'webhook-delivery')?.schedule).toBe('1 hour');
  });

  it('runs a job now on request, logged as a manual run', async () => {
    const queued = await admin.jobs.runNow.mutate({ name: 'webhook-delivery' });
    expect(queued).toMatchObject({ name: 'webhook-delivery', requestId: expect.any(String) });
    await waitFor(async () => (await runsOf('webhook-delivery')).some((run) => run.occurrence_key === `manual:${queued.requestId}` && run.counts), {
      what: 'the manual run',
      timeoutMs: 20_000,
    });
    const listed = (await admin.jobs.list.query()).find((job) => job.name === 'webhook-delivery');
    expect(listed?.lastRun).toMatchObject({ trigger: 'manual', counts: { claimed: 0, endpointsDisabled: 0 } });
    const audit = await db.execute(sql`select 1 from activity where action = 'job.run_now' and entity_id = 'webhook-delivery'`);
    expect(audit.rows).toHaveLength(1);
  });

  it('refuses an unknown job and callers other than an affiliate admin', async () => {
    await expect(admin.jobs.runNow.mutate({ name: 'no-such-job' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    const complianceOfficer = await server.client(['compliance_officer']);
    await expect(complianceOfficer.jobs.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(complianceOfficer.jobs.runNow.mutate({ name: 'audit-seal' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});
