import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';

export const runJobNowInput = z.object({ name: z.string().trim().min(1).max(100) });

/** The channel Agenda's PostgreSQL backend listens on; a notification wakes a worker at once instead of at its next poll. */
const AGENDA_CHANNEL = 'agenda_jobs';

export interface JobSummary {
  name: string;
  schedule: string;
  nextRunAt: Date | null;
  running: boolean;
  lastRun: { startedAt: Date; finishedAt: Date | null; durationMs: number | null; counts: Record<string, number> | null; error: string | null; trigger: string } | null;
  lastError: { at: Date; error: string } | null;
}

/**
 * Every scheduled job (the repeating jobs the scheduler registered in agenda_jobs) with its schedule, its last run
 * from job_runs and its last failure.
 */
export async function listJobs(db: Executor): Promise<JobSummary[]> {
  const result = await db.execute<{
    name: string;
    schedule: string;
    next_run_at: string | null;
    running: boolean;
    started_at: string | null;
    finished_at: string | null;
    duration_ms: number | null;
    counts: Record<string, number> | null;
    error: string | null;
    run_trigger: string | null;
    failed_at: string | null;
    last_error: string | null;
  }>(sql`
    select a.name, a.repeat_interval as schedule, a.next_run_at, (a.locked_at is not null) as running,
           last.started_at, last.finished_at, last.duration_ms, last.counts, last.error, last.trigger as run_trigger,
           failure.started_at as failed_at, failure.error as last_error
    from agenda_jobs a
    left join lateral (
      select started_at, finished_at, duration_ms, counts, error, trigger from job_runs r
      where r.job_name = a.name order by r.started_at desc limit 1
    ) last on true
    left join lateral (
      select started_at, error from job_runs r
      where r.job_name = a.name and r.error is not null order by r.started_at desc limit 1
    ) failure on true
    where a.repeat_interval is not null
    order by a.name`);
  // timestamptz from raw SQL arrives as text.
  const time = (value: string | null) => (value === null ? null : new Date(value));
  return result.rows.map((row) => ({
    name: row.name,
    schedule: row.schedule,
    nextRunAt: time(row.next_run_at),
    running: row.running,
    lastRun: row.started_at
      ? {
          startedAt: time(row.started_at)!,
          finishedAt: time(row.finished_at),
          durationMs: row.duration_ms,
          counts: row.counts,
          error: row.error,
          trigger: row.run_trigger ?? 'schedule',
        }
      : null,
    lastError: row.failed_at && row.last_error ? { at: time(row.failed_at)!, error: row.last_error } : null,
  }));
}

/**
 * Queues one extra run of a scheduled job for the next free worker, through Agenda's own table (the scheduler
 * picks it up like `agenda.now()` would) and wakes the workers. Finished one-off runs of the job are cleared first.
 */
export async function runJobNow(db: Database, actor: Actor, name: string) {
  return db.transaction(async (tx) => {
    const known = await tx.execute(sql`select 1 from agenda_jobs where name = ${name} and repeat_interval is not null`);
    if (known.rows.length === 0) throw notFound('Scheduled job', name);
    await tx.execute(sql`
      delete from agenda_jobs
      where name = ${name} and repeat_interval is null and next_run_at is null and locked_at is null`);
    const requestId = randomUUID();
    const inserted = await tx.execute<{ id: string; next_run_at: string }>(sql`
      insert into agenda_jobs (name, priority, next_run_at, type, data, last_modified_by)
      values (${name}, 10, now(), 'normal', ${JSON.stringify({ manual: true, requestId, requestedBy: actor.userId })}::jsonb, 'jobs.runNow')
      returning id, next_run_at`);
    const job = inserted.rows[0]!;
    const wake = JSON.stringify({
      jobId: job.id,
      jobName: name,
      nextRunAt: new Date(job.next_run_at).toISOString(),
      priority: 10,
      timestamp: new Date().toISOString(),
      source: 'jobs.runNow',
    });
    await tx.execute(sql`select pg_notify(${AGENDA_CHANNEL}, ${wake})`);
    await recordActivity(tx, actor, { action: 'job.run_now', entityType: 'job', entityId: name, after: { requestId } });
    return { name, requestId, queuedAt: new Date(job.next_run_at) };
  });
}
