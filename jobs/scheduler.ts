import { randomUUID } from 'node:crypto';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda } from 'agenda';
import type pg from 'pg';
import type { Database } from '../db/client.js';
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
  const agenda = new Agenda({
    backend: new PostgresBackend({ pool: options.pool, ensureSchema: false }),
    name,
    processEvery: options.processEvery,
  });
  agenda.on('error', (error) => options.log.error({ err: error }, 'scheduler error'));
  for (const job of options.jobs) {
    agenda.define(job.name, async () => {
      const startedAt = Date.now();
      const counts = await job.run({ db: options.db, now: new Date() });
      options.log.info({ job: job.name, counts, ms: Date.now() - startedAt }, 'job finished');
    });
  }
  let isRunning = false;
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
      await agenda.drain({ timeout: 10_000 });
      // stop() releases the jobs this instance locked but did not start.
      await agenda.stop();
    },
    running: () => isRunning,
  };
}
