import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import type pg from 'pg';
import type { Database } from '../db/client.js';
import { runLogged, type JobOccurrence } from '../server/domain/jobs/runs.js';
import type { JobDefinition } from './types.js';

export interface SchedulerOptions {
  pool: pg.Pool;
  db: Database;
  jobs: JobDefinition[];
  processEvery: string;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Scheduler {
  agenda: Agenda;
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
}

/**
 * Agenda on our PostgreSQL. Its table comes from our migrations (ensureSchema: false: instances starting together
 * race on creating it), and each instance has a unique name so the locks it holds are its own.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const name = `affiliate-ops-${process.pid}-${randomUUID().slice(0, 8)}`;
  const backend = new PostgresBackend({ pool: options.pool, ensureSchema: false });
  const agenda = new Agenda({ backend, name, processEvery: options.processEvery });
  agenda.on('error', (error) => options.log.error({ err: error }, 'scheduler error'));
  // The LISTEN connection reports its errors on the channel, which Agenda does not listen to; unheard, one error
  // (PostgreSQL terminating the connection while we shut down) kills the process.
  (backend.notificationChannel as EventEmitter | undefined)?.on('error', (error: Error) =>
    options.log.error({ err: error }, 'scheduler notification channel error'),
  );
  for (const job of options.jobs) {
    agenda.define(job.name, async (agendaJob) => {
      const occurrence = occurrenceOf(job.name, agendaJob.attrs);
      const result = await runLogged(options.db, occurrence, () => job.run({ db: options.db, now: new Date() }));
      if (result.ran) options.log.info({ job: job.name, counts: result.counts, ms: result.durationMs }, 'job finished');
    });
  }
  let isRunning = false;
  // Agenda announces a job's start once it holds the lock in our name, and its completion once the lock is released.
  let runningJobs = 0;
  agenda.on('start', () => runningJobs++);
  agenda.on('complete', () => runningJobs--);
  return {
    agenda,
    async start() {
      await agenda.start();
      for (const job of options.jobs) await agenda.every(job.every, job.name);
      isRunning = true;
    },
    async stop() {
      if (!isRunning) return;
      isRunning = false;
      // agenda.stop() starts nothing more and releases the jobs it had locked but not started. (Its drain() keeps the
      // processor going while it waits, so a queued job could start when a running one ended.) Running jobs keep
      // their locks until they finish: wait for them, as drain() would have.
      await agenda.stop();
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (runningJobs > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      // A job locked while agenda stopped (a queue fill in flight) is locked still. When nothing of ours runs,
      // every lock in our name is stale.
      if (runningJobs === 0) {
        await options.pool.query(
          'update agenda_jobs set locked_at = null where last_modified_by = $1 and locked_at is not null',
          [name],
        );
      }
    },
    running: () => isRunning,
  };
}

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The job_runs key of one run. Agenda's lock already runs a scheduled occurrence once (its Agenda job and start
 * time name it); a run queued by `jobs.runNow` is named by its request, so a redelivered request runs once.
 */
function occurrenceOf(jobName: string, attrs: { _id?: unknown; lastRunAt?: Date; data?: unknown }): JobOccurrence {
  const data = (attrs.data ?? {}) as { manual?: boolean; requestId?: string };
  if (data.manual && data.requestId) return { jobName, occurrenceKey: `manual:${data.requestId}`, trigger: 'manual' };
  return { jobName, occurrenceKey: `${String(attrs._id)}@${(attrs.lastRunAt ?? new Date()).toISOString()}`, trigger: 'schedule' };
}
