import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectDatabase, type DatabaseConnection } from '../../../db/client.js';
import { startEmbeddedPostgres } from '../../../db/embedded.js';
import { runMigrations } from '../../../db/migrate.js';
import { loadConfig } from '../../../server/config.js';
import { withDatabase } from '../../helpers/global-setup.js';

export interface ScratchDatabase extends DatabaseConnection {
  url: string;
  /** Closes the pool and removes the database (or the embedded server and its files). */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one benchmark: `ao_bench_<time>_<random>` on the server DATABASE_URL points at,
 * or an embedded PostgreSQL in a temporary directory when it is not set.
 */
export async function createScratchDatabase(options: { poolSize?: number } = {}): Promise<ScratchDatabase> {
  const adminUrl = loadConfig().DATABASE_URL;
  const scratch = adminUrl ? await createOnServer(adminUrl) : await startEmbedded();
  const connection = connectDatabase(scratch.url, { max: options.poolSize });
  const drop = async () => {
    await connection.close();
    await scratch.remove();
  };
  try {
    await runMigrations(connection.db);
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { ...connection, url: scratch.url, drop };
}

async function createOnServer(adminUrl: string) {
  const name = `ao_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  return { url: withDatabase(adminUrl, name), remove: () => admin(`drop database if exists "${name}" with (force)`) };
}

async function startEmbedded() {
  const dir = await mkdtemp(join(tmpdir(), 'affiliate-ops-bench-'));
  const embedded = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
  return {
    url: embedded.url,
    async remove() {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
