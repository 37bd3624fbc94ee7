import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { connectDatabase, type DatabaseConnection, type Executor } from '../../db/client.js';
import { withDatabase } from './global-setup.js';

export interface TestDatabase extends DatabaseConnection {
  url: string;
  name: string;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of this test file's own, cloned from the migrated template, dropped after the file's tests.
 * Call at the top level of a test file.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ao_test_${randomBytes(6).toString('hex')}`;
  const template = inject('templateDatabase');
  await admin(async (client) => {
    // Cloning fails while another session briefly holds the template; it is never held for long.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 20 || !String((error as Error).message).includes('being accessed')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  const url = withDatabase(inject('adminUrl'), name);
  const connection = connectDatabase(url);
  afterAll(async () => {
    await connection.close();
    await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
  });
  return { ...connection, url, name };
}

/** How many sessions of this database wait on a lock now: to tell that a concurrent statement is blocked. */
export async function waitingOnLocks(db: Executor): Promise<number> {
  const result = await db.execute<{ waiting: number }>(
    sql`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return result.rows[0]?.waiting ?? 0;
}
