/**
 * `npm run bench`: the HTTP benchmarks (tRPC against plain Fastify, each adapter, the server in its own process and
 * load from this one), then every tests/bench/*.bench.ts; writes the table to tests/bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { users } from '../../db/schema/users.js';
import { signToken } from '../../server/auth/tokens.js';
import type { Config } from '../../server/config.js';
import { appRouter } from '../../server/routers/index.js';
import { startBenchServer, type BenchServerOptions } from './lib/bench-server.js';
import { dropDatasets } from './lib/datasets.js';
import { compareThroughput, type Comparison, type LoadTarget, type Measurement } from './lib/load.js';
import { benchRow, writeResults, type BenchRow } from './lib/results.js';
import { createScratchDatabase, type ScratchDatabase } from './lib/scratch-database.js';
import { seedPartner } from './lib/seed.js';
import superjson from 'superjson';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS_FILE = new URL('./RESULTS.md', import.meta.url);
const LOAD = { connections: 50, seconds: 2, rounds: 3, warmupSeconds: 1 };
const ADAPTERS = ['fast', 'stock'] as const satisfies readonly Config['TRPC_ADAPTER'][];

const METHOD = `How: \`npm run bench\` (tests/bench/run.ts). The service runs in its own process (tests/bench/server.ts,
NODE_ENV=production, LOG_LEVEL=warn, rate limit effectively off) with its full plugin stack; autocannon drives it from
the runner process with ${LOAD.connections} connections. Each comparison warms both sides for ${LOAD.warmupSeconds} s, then
measures them alternately (A, B, A, B, …) ${LOAD.rounds} times for ${LOAD.seconds} s each; the ratio compares the median
requests per second, and the notes add the ratio of the server's median CPU time per request, which other load on a
shared machine disturbs less. The baselines are plain Fastify routes of the same server: \`/bench/ping\` answers what
\`system.ping\` answers; \`/bench/sql\` authenticates like the app (token → ability, the procedure's permission) and runs,
with pg, the SQL statements the procedure ran when the server captured one call at start; \`/bench/caller\` calls the
procedure directly, as \`createCaller\` does, so the diagnostic rows show what tRPC's HTTP layer alone costs.`;

interface DatabaseScenario {
  name: string;
  options: Omit<BenchServerOptions, 'token'>;
  note?: string;
}

async function main() {
  const rows: BenchRow[] = [];
  const scratch = await createScratchDatabase();
  try {
    rows.push(...(await httpBenchmarks(scratch)));
  } finally {
    await scratch.drop();
  }
  try {
    rows.push(...(await benchFiles()));
  } finally {
    await dropDatasets();
  }
  const report = await writeResults(fileURLToPath(RESULTS_FILE), rows, METHOD);
  console.log(`\n${report}`);
}

async function httpBenchmarks(scratch: ScratchDatabase): Promise<BenchRow[]> {
  const secret = randomBytes(32).toString('hex');
  const [admin] = await scratch.db
    .insert(users)
    .values({ email: 'bench-admin@example.com', name: 'Bench Admin', roles: ['affiliate_admin'] })
    .returning({ id: users.id });
  await scratch.db.insert(users).values(
    Array.from({ length: 20 }, (_, i) => ({ email: `bench-user-${i}@example.com`, name: `Bench User ${i}`, roles: ['partner_manager' as const] })),
  );
  const token = await signToken({ secret, sub: admin!.id, roles: ['affiliate_admin'], ttlSeconds: 3600 });
  const auth = { authorization: `Bearer ${token}` };
  const scenarios = await databaseScenarios(scratch, admin!.id);

  const rows: { order: number; row: BenchRow }[] = [];
  for (const adapter of ADAPTERS) {
    const env = { DATABASE_URL: scratch.url, TRPC_ADAPTER: adapter, AUTH_JWT_SECRET: secret, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000000', SCHEDULER_ENABLED: 'false' };
    const { server, scenario } = await startWithFirstWorkingScenario(env, scenarios, token);
    const load = { ...LOAD, serverCpuMicros: async () => ((await (await fetch(`${server.url}/bench/cpu`)).json()) as { micros: number }).micros };
    try {
      for (const [order, comparison] of httpComparisons(server.url, adapter, scenario, auth).entries()) {
        if (!comparison) continue;
        log(comparison.scenario);
        const measured = await compareThroughput(comparison.a, comparison.b, load);
        rows.push({ order: order * ADAPTERS.length + ADAPTERS.indexOf(adapter), row: row(comparison, measured) });
      }
    } finally {
      await server.stop();
    }
  }
  return rows.sort((x, y) => x.order - y.order).map(({ row }) => row);
}

interface HttpComparison {
  scenario: string;
  a: LoadTarget;
  b: LoadTarget;
  goal?: number;
  note?: string;
}

/** What to compare on a server running `adapter`; the diagnostics run on the fast adapter only. */
function httpComparisons(url: string, adapter: Config['TRPC_ADAPTER'], scenario: DatabaseScenario, auth: Record<string, string>) {
  const fast = adapter === 'fast';
  // The wire carries superjson's shape; the direct-call route takes the plain input a caller gets.
  const wireInput = encodeURIComponent(JSON.stringify(superjson.serialize(scenario.options.input)));
  const input = encodeURIComponent(JSON.stringify(scenario.options.input));
  const ping = { url: `${url}/trpc/system.ping` };
  const procedure = { url: `${url}/trpc/${scenario.options.procedure}?input=${wireInput}`, headers: auth };
  const comparisons: (HttpComparison | undefined)[] = [
    {
      scenario: `a trivial tRPC query (\`system.ping\`, ${adapter} adapter) vs a trivial Fastify route`,
      a: ping,
      b: { url: `${url}/bench/ping` },
      goal: fast ? 0.4 : undefined,
      note: fast ? undefined : "for comparison; tRPC's own published figure is 0.22×",
    },
    {
      scenario: `\`${scenario.name}\` through tRPC over HTTP (${adapter} adapter) vs a raw Fastify route running the same SQL with pg`,
      a: procedure,
      b: { url: `${url}/bench/sql`, headers: auth },
      goal: fast ? 0.75 : undefined,
      note: [scenario.note, fast ? undefined : 'for comparison'].filter(Boolean).join('; ') || undefined,
    },
    fast ? {
      scenario: 'diagnostic: `system.ping` through the fast adapter vs called directly from a plain Fastify route',
      a: ping,
      b: { url: `${url}/bench/caller?path=system.ping` },
      note: "what tRPC's HTTP layer alone costs",
    } : undefined,
    fast ? {
      scenario: `diagnostic: \`${scenario.name}\` through the fast adapter vs called directly from a plain Fastify route`,
      a: procedure,
      b: { url: `${url}/bench/caller?path=${scenario.options.procedure}&input=${input}`, headers: auth },
      note: "what tRPC's HTTP layer alone costs",
    } : undefined,
  ];
  return comparisons;
}

/** `partners.get` when its router is there, else a stand-in with the same shape of work: input, permission, one read. */
async function databaseScenarios(scratch: ScratchDatabase, adminId: string): Promise<DatabaseScenario[]> {
  const standIn: DatabaseScenario = {
    name: 'users.list',
    options: { procedure: 'users.list', input: { limit: 10 } },
    note: 'stand-in for partners.get, which is not in the router yet',
  };
  if (!('partners.get' in appRouter._def.procedures)) return [standIn];
  const partnerId = await seedPartner(scratch.db, adminId);
  return [
    { name: 'partners.get', options: { procedure: 'partners.get', input: { partnerId } } },
    { ...standIn, note: 'stand-in for partners.get, which could not be called with { partnerId }' },
  ];
}

async function startWithFirstWorkingScenario(env: Record<string, string>, scenarios: DatabaseScenario[], token: string) {
  for (const [index, scenario] of scenarios.entries()) {
    try {
      const server = await startBenchServer(env, { ...scenario.options, token });
      log(`${env.TRPC_ADAPTER} adapter: ${scenario.name} ran ${server.statements} SQL statement(s), which /bench/sql replays`);
      return { server, scenario };
    } catch (error) {
      if (index === scenarios.length - 1) throw error;
      log(`${scenario.name} cannot be benchmarked (${(error as Error).message}); trying ${scenarios[index + 1]!.name}`);
    }
  }
  throw new Error('no database scenario to benchmark');
}

function row(comparison: HttpComparison, measured: Comparison): BenchRow {
  const side = (sample: Measurement) =>
    `${Math.round(sample.requestsPerSecond).toLocaleString('en-US')} req/s, ${Math.round(sample.cpuMicrosPerRequest)} µs CPU/req`;
  const note = [`by server CPU per request ${measured.cpuRatio.toFixed(2)}×`, comparison.note].filter(Boolean).join('; ');
  return { scenario: comparison.scenario, ratio: measured.ratio, goal: comparison.goal, note, sideA: side(measured.a), sideB: side(measured.b) };
}

/** Every tests/bench/*.bench.ts exporting `run()`; one that fails shows up as a failed row instead of ending the run. */
async function benchFiles(): Promise<BenchRow[]> {
  const files = (await readdir(BENCH_DIR)).filter((file) => file.endsWith('.bench.ts')).sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    log(file);
    try {
      const module = (await import(pathToFileURL(`${BENCH_DIR}/${file}`).href)) as { run?: () => Promise<unknown> };
      if (typeof module.run !== 'function') throw new Error('exports no run()');
      rows.push(...z.array(benchRow).parse(await module.run()));
    } catch (error) {
      rows.push({ scenario: file, ratio: Number.NaN, note: `failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return rows;
}

function log(message: string) {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
