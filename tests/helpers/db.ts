import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { connectDatabase, type DatabaseConnection } from '../../db/client.js';
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
