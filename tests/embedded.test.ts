import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function withDatabase(dataDir: string, fn: (db: EmbeddedDatabase) => Promise<void>): Promise<void> {
  const db = await startEmbeddedPostgres({ dataDir });
  try {
    await fn(db);
  } finally {
    await db.stop();
  }
}

async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('startEmbeddedPostgres', { timeout: 60_000 }, () => {
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps data across restarts and recovers from a killed server', async () => {
    // mkdtemp makes a 0700 dir: as root, startEmbeddedPostgres must open it up for the postgres user.
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'affiliate-ops-pg-'));
    tempDirs.push(tempDir);
    const dataDir = path.join(tempDir, 'pg');
    const readRows = (url: string) => query<{ name: string }>(url, 'SELECT name FROM partners ORDER BY id');

    await withDatabase(dataDir, async ({ url }) => {
      expect(url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/affiliate_ops$/);
      await query(url, 'CREATE TABLE partners (id serial PRIMARY KEY, name text NOT NULL)');
      await query(url, "INSERT INTO partners (name) VALUES ('Zoë Affiliates')");
    });

    await withDatabase(dataDir, async ({ url }) => {
      expect(await readRows(url)).toEqual([{ name: 'Zoë Affiliates' }]);
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/Another PostgreSQL instance/);
    });

    // Crash: SIGKILL the postmaster, leaving postmaster.pid behind.
    const crashed = await startEmbeddedPostgres({ dataDir });
    const pid = Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid);
    await crashed.stop(); // must not hang on the already-dead server
    await withDatabase(dataDir, async ({ url }) => {
      expect(await readRows(url)).toEqual([{ name: 'Zoë Affiliates' }]);
    });

    // A stale lock whose PID now belongs to an unrelated live process (as after a container restart).
    await writeFile(path.join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    await withDatabase(dataDir, async ({ url }) => {
      expect(await readRows(url)).toEqual([{ name: 'Zoë Affiliates' }]);
    });
  });
});
