import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const benchServerOptions = z.object({
  /** The query procedure `/bench/sql` stands for, its input, and the bearer token of the call its SQL is captured from. */
  procedure: z.string(),
  input: z.unknown(),
  token: z.string(),
});
export type BenchServerOptions = z.infer<typeof benchServerOptions>;

export interface BenchServer {
  url: string;
  /** How many SQL statements the captured procedure call ran. */
  statements: number;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('../server.ts', import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;

/** Starts tests/bench/server.ts in a process of its own and waits until it listens. */
export async function startBenchServer(env: Record<string, string>, options: BenchServerOptions): Promise<BenchServer> {
  const child = fork(SERVER_SCRIPT, [JSON.stringify(options)], {
    // The Node flags of `npm start` (package.json), so the bench measures the service as it is run.
    execArgv: ['--max-semi-space-size=64', '--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const started = await new Promise<{ url: string; statements: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bench server did not start within 60 s')), STARTUP_TIMEOUT_MS);
      child.once('message', (message: { url: string; statements: number }) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the bench server exited with code ${code} before listening`));
      });
    });
    return { ...started, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
