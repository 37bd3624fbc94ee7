import { sql } from 'drizzle-orm';
import { AGGREGATE_WORK_MEM, type Database, type Executor } from '../../../db/client.js';

/**
 * Runs a dashboard's queries in one read-only, repeatable-read transaction, so all its figures come from the same
 * snapshot, with room to aggregate in memory (`AGGREGATE_WORK_MEM`), and with JIT compilation off: for these short
 * aggregate queries PostgreSQL's cost estimates trigger JIT, and compiling took longer than the queries themselves
 * (measured in the README, Analytics → Indexes, partitions and the measurements behind them).
 */
export function inSnapshot<T>(db: Database, read: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.execute(sql`set local jit = off`);
      await tx.execute(AGGREGATE_WORK_MEM);
      return read(tx);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
