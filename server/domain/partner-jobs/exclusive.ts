import { sql } from 'drizzle-orm';
import { AGGREGATE_WORK_MEM, type Database, type Executor } from '../../../db/client.js';

/**
 * Runs `work` in one transaction that first takes the advisory lock `lock` (held until commit or rollback), with
 * `AGGREGATE_WORK_MEM` for the set-based statements over all partners. Two runs
 * of a job at once — a manual run during a scheduled one, or two instances — then take turns on each unit of
 * work, and the second sees what the first committed. A run killed mid-way rolls its unit back and releases the
 * lock with its session, so the next run does that unit again from the start.
 */
export function inExclusiveTransaction<T>(db: Database, lock: string, work: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lock}, 0))`);
    await tx.execute(AGGREGATE_WORK_MEM);
    return work(tx);
  });
}

/** The UTC calendar date of an instant, YYYY-MM-DD: the period in dedupe keys and snapshot days. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** A timestamptz parameter; jobs compute with the clock they were given, never the database's. */
export function instant(at: Date) {
  return sql`${at.toISOString()}::timestamptz`;
}
