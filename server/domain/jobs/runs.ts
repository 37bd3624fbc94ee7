import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { jobRuns } from '../../../db/schema/jobs.js';

export interface JobOccurrence {
  jobName: string;
  /** Unique per job: an occurrence already in the log is not run again. */
  occurrenceKey: string;
  trigger: 'schedule' | 'manual';
}

export type JobRunResult = { ran: false } | { ran: true; counts: Record<string, number>; durationMs: number };

/**
 * Runs one occurrence of a job and logs it in job_runs: start, finish, duration, counts, or the error (which is
 * rethrown so the scheduler records the failure too).
 */
export async function runLogged(
  db: Database,
  occurrence: JobOccurrence,
  run: () => Promise<Record<string, number>>,
): Promise<JobRunResult> {
  const startedAt = new Date();
  const [logged] = await db
    .insert(jobRuns)
    .values({ ...occurrence, startedAt })
    .onConflictDoNothing()
    .returning({ id: jobRuns.id });
  if (!logged) return { ran: false };
  const finish = (fields: { counts?: Record<string, number>; error?: string }) =>
    db
      .update(jobRuns)
      .set({ ...fields, finishedAt: sql`clock_timestamp()`, durationMs: Date.now() - startedAt.getTime() })
      .where(eq(jobRuns.id, logged.id));
  try {
    const counts = await run();
    await finish({ counts });
    return { ran: true, counts, durationMs: Date.now() - startedAt.getTime() };
  } catch (error) {
    await finish({ error: (error instanceof Error ? error.message : String(error)).slice(0, 2000) });
    throw error;
  }
}
