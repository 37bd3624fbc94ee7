import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Whether `pid` is running; a zombie (exited, not yet reaped by its new parent) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  })();
  return !/\) [ZX] /.test(stat);
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the embedded database in a separate Node process (as `npm start` would); resolves with its URL. */
function startInChildProcess(script: string, dataDir: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise<string>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const ready = /^READY (\S+)$/m.exec(stdout);
      if (ready) resolve(ready[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`child exited early (code ${code}, signal ${signal}):\n${stdout}${stderr}`));
    });
  });
  return { child, url };
}

describe('startEmbeddedPostgres', { timeout: 60_000 }, () => {
  const tempDirs: string[] = [];
  const children: ChildProcess[] = [];
  const postgresPids: number[] = [];
  afterAll(async () => {
    // Whatever happened, leave no processes behind.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of postgresPids.filter(isAlive)) process.kill(pid, 'SIGINT');
    await Promise.all(postgresPids.map(waitForExit));
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

  it('leaves the process exit code alone once the package is loaded (its exit hook would force 0)', async () => {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'affiliate-ops-exit-'));
    tempDirs.push(tempDir);
    const dataDir = path.join(tempDir, 'pg');
    const script = path.join(tempDir, 'exit-code.mjs');
    const embeddedModule = pathToFileURL(path.join(repoRoot, 'db/embedded.ts')).href;
    await writeFile(
      script,
      `import { startEmbeddedPostgres } from ${JSON.stringify(embeddedModule)};
const db = await startEmbeddedPostgres({ dataDir: process.argv[2] });
await db.stop();
process.exitCode = 3;
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { cwd: repoRoot, stdio: 'ignore' });
    children.push(child);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });

  it('shuts down the postgres orphaned by a SIGKILLed Node process and starts again', async () => {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'affiliate-ops-pg-'));
    tempDirs.push(tempDir);
    const dataDir = path.join(tempDir, 'pg');
    const script = path.join(tempDir, 'start-db.mjs');
    const embeddedModule = pathToFileURL(path.join(repoRoot, 'db/embedded.ts')).href;
    await writeFile(
      script,
      `import { startEmbeddedPostgres } from ${JSON.stringify(embeddedModule)};
const db = await startEmbeddedPostgres({ dataDir: process.argv[2] });
console.log('READY ' + db.url);
setInterval(() => {}, 60_000);
`,
    );

    const run = startInChildProcess(script, dataDir);
    children.push(run.child);
    const childUrl = await run.url;
    const orphanPid = await postmasterPid(dataDir);
    postgresPids.push(orphanPid);
    await query(childUrl, 'CREATE TABLE partners (id serial PRIMARY KEY, name text NOT NULL)');
    await query(childUrl, "INSERT INTO partners (name) VALUES ('Zoë Affiliates')");

    // Kill the Node process hard: its postgres survives as an orphan still holding the data dir.
    const exited = new Promise((resolve) => run.child.once('exit', resolve));
    run.child.kill('SIGKILL');
    await exited;
    expect(isAlive(orphanPid)).toBe(true);

    const logs: string[] = [];
    const db = await startEmbeddedPostgres({ dataDir, log: (msg) => logs.push(msg) });
    try {
      expect(isAlive(orphanPid)).toBe(false);
      expect(logs.join('')).toMatch(new RegExp(`orphaned PostgreSQL \\(pid ${orphanPid}\\)`));
      expect(await query<{ name: string }>(db.url, 'SELECT name FROM partners ORDER BY id')).toEqual([
        { name: 'Zoë Affiliates' },
      ]);
      // A postgres whose Node parent is alive (this process) is still another instance, not a leftover.
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/Another PostgreSQL instance/);
    } finally {
      await db.stop();
    }
  });
});
