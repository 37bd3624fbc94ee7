import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink } from '@trpc/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../server/index.js';
import { tokenFor } from './helpers/auth.js';
import superjson from 'superjson';

const root = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'start-test-secret-0123456789abcdef0123456789';
const running = new Set<ChildProcess>();
const tempDirs: string[] = [];

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Service {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr: () => string;
}

/** `npm start` as a process: no DATABASE_URL, so it runs its own embedded PostgreSQL. */
function launch(env: Record<string, string>): Service {
  const { DATABASE_URL: _external, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...inherited, LOG_LEVEL: 'info', AUTH_JWT_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, exit, stderr: () => stderr };
}

/** Reads the JSON log until the service says it is serving, and returns its URL. */
async function serving(service: Service, timeoutMs = 40_000): Promise<string> {
  const lines = createInterface({ input: service.child.stdout! });
  const found = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      let entry: { msg?: string; url?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // only the JSON log lines matter here
      }
      if (entry.msg === 'affiliate-ops is serving' && entry.url) resolve(entry.url);
    });
    void service.exit.then((code) => reject(new Error(`exited with ${code} before serving:\n${service.stderr()}`)));
    setTimeout(() => reject(new Error(`not serving after ${timeoutMs} ms:\n${service.stderr()}`)), timeoutMs).unref();
  });
  return found;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms).unref()),
  ]);
}

async function adminClient(url: string) {
  const token = await tokenFor(['affiliate_admin'], { secret: SECRET });
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } })] });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', { timeout: 120_000 }, () => {
  it('serves with an embedded database, stops cleanly on SIGTERM, and keeps its data across a restart', async () => {
    const base = await mkdtemp(join(tmpdir(), 'affiliate-ops-start-'));
    tempDirs.push(base);
    // PostgreSQL runs as the postgres user when we are root; it must be able to enter the directory.
    await chmod(base, 0o755);
    const env = { DATA_DIR: join(base, 'data'), PORT: '0' };
    const pidFile = join(base, 'data', 'pg', 'postmaster.pid');

    const first = launch(env);
    const url = await serving(first);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const created = await (await adminClient(url)).users.create.mutate({
      email: 'kept@example.com',
      name: 'Kept Across Restarts',
      roles: ['compliance_officer'],
    });
    const postgresPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);

    first.child.kill('SIGTERM');
    expect(await within(first.exit, 20_000, 'shutdown'), first.stderr()).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(isAlive(postgresPid)).toBe(false);

    const second = launch(env);
    const secondUrl = await serving(second);
    const found = await (await adminClient(secondUrl)).users.list.query({ search: 'kept@example.com' });
    expect(found.items).toEqual([expect.objectContaining({ id: created.id, name: 'Kept Across Restarts' })]);
    second.child.kill('SIGTERM');
    expect(await within(second.exit, 20_000, 'second shutdown'), second.stderr()).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  it('refuses a bad configuration with a message naming the variable', async () => {
    const service = launch({ PORT: 'abc', DATA_DIR: join(tmpdir(), 'affiliate-ops-never-created') });
    expect(await within(service.exit, 20_000, 'exit')).not.toBe(0);
    expect(service.stderr()).toMatch(/PORT/);
    expect(existsSync(join(tmpdir(), 'affiliate-ops-never-created'))).toBe(false);
  });
});
