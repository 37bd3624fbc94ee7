import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

/**
 * One row per run of a scheduled job, written by the scheduler wrapper. The occurrence key is unique per job, so
 * an occurrence that two instances both picked up runs once.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobName: text('job_name').notNull(),
    occurrenceKey: text('occurrence_key').notNull(),
    trigger: text('trigger', { enum: ['schedule', 'manual'] }).notNull(),
    startedAt: timestamptz('started_at').notNull(),
    finishedAt: timestamptz('finished_at'),
    durationMs: integer('duration_ms'),
    counts: jsonb('counts').$type<Record<string, number>>(),
    error: text('error'),
  },
  (table) => [
    unique('job_runs_occurrence_key').on(table.jobName, table.occurrenceKey),
    index('job_runs_job_idx').on(table.jobName, table.startedAt),
    // jobs.list shows each job's last failure; most runs succeed.
    index('job_runs_failures_idx').on(table.jobName, table.startedAt).where(sql`${table.error} is not null`),
  ],
);
