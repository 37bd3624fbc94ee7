import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema/index.js';

export type Database = NodePgDatabase<typeof schema>;
/** A database handle or an open transaction: domain functions accept either. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseConnection {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

// timestamptz and bigint counts come back as JS values we can compute with; money stays integer minor units.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint ${value} exceeds the safe integer range`);
  return parsed;
});

/**
 * Memory for sorts and hashes in the transactions that aggregate over every partner of a program (dashboards,
 * scheduled jobs): at 1M partners their hash aggregates outgrow the server's default 4 MB and spill to disk.
 * Set per transaction (`set local`), so request-sized queries keep the default.
 */
export const AGGREGATE_WORK_MEM = sql`set local work_mem = '64MB'`;

export function connectDatabase(
  url: string,
  options: { max?: number; onError?: (error: Error) => void } = {},
): DatabaseConnection {
  // JIT compilation costs more than it saves on this service's queries (measured: 1.45 s of a 2.2 s dashboard query).
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, options: '-c jit=off' });
  // Without a listener an idle client's error (e.g. the server shutting down) crashes the process.
  const onError = options.onError ?? (() => {});
  pool.on('error', onError);
  // The pool listens only while a client is idle; a connection lost mid-query (e.g. terminated by an operator)
  // would otherwise raise an unhandled error and end the process. The query itself still fails.
  pool.on('connect', (client) => client.on('error', onError));
  const db = drizzle(pool, { schema });
  let closed = false;
  return {
    pool,
    db,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
