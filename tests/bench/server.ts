/**
 * The service as `npm start` builds it (adapter chosen by TRPC_ADAPTER), in a process of its own, plus routes only
 * the benchmark uses: `GET /bench/cpu` (the process's CPU time so far), two baselines
 * - `GET /bench/ping`: a plain Fastify JSON route answering what `system.ping` answers;
 * - `GET /bench/sql`: a plain Fastify route doing the job of one procedure by hand: the same authentication
 *   (token → ability, the procedure's permission) and the same SQL statements, run with pg. The statements are
 *   captured from one call of the procedure at start, so they stay the same SQL whatever its domain code becomes.
 * and `GET /bench/caller?path=&input=`, a plain route calling a query procedure directly (what `createCaller` does),
 * which tells the cost of tRPC's HTTP layer apart from the procedure's own.
 * Started by tests/bench/lib/bench-server.ts with its options as JSON in argv[2]; reports its URL over IPC.
 */
import { callTRPCProcedure } from '@trpc/server';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { connectDatabase } from '../../db/client.js';
import * as schema from '../../db/schema/index.js';
import { buildApp } from '../../server/app.js';
import { createTokenVerifier } from '../../server/auth/tokens.js';
import { jwtSecret, loadConfig } from '../../server/config.js';
import { createContext, type Context, type ContextDeps } from '../../server/context.js';
import { appRouter } from '../../server/routers/index.js';
import type { Meta } from '../../server/trpc.js';
import { benchServerOptions, type BenchServerOptions } from './lib/bench-server.js';

interface Statement {
  sql: string;
  params: unknown[];
  /** The result's column names, numbered where they repeat (drizzle leaves `case …` expressions unnamed). */
  keys?: string[];
}

async function main() {
  const options = benchServerOptions.parse(JSON.parse(process.argv[2] ?? '{}'));
  const config = loadConfig();
  if (!config.DATABASE_URL) throw new Error('the bench server needs DATABASE_URL (the runner passes its scratch database)');
  const connection = connectDatabase(config.DATABASE_URL);
  const deps: ContextDeps = { db: connection.db, verifyToken: createTokenVerifier({ secret: jwtSecret(config) }) };
  const app = await buildApp({ config, ...deps, schedulerRunning: () => false });

  // At run time the router keeps a flat map of dotted paths to procedures.
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: Meta } } | undefined>;
  const procedure = procedures[options.procedure];
  if (procedure?._def.type !== 'query') throw new Error(`${options.procedure} is not a query procedure`);
  const permission = procedure._def.meta?.permission ?? 'public';
  if (typeof permission === 'object' && !('action' in permission)) {
    throw new Error(`${options.procedure}: the raw route only checks public, authenticated and action/subject permissions`);
  }
  const statements = await captureStatements(connection.pool, deps, options, app.log);

  app.get('/bench/cpu', async () => {
    const usage = process.cpuUsage();
    return { micros: usage.user + usage.system };
  });
  app.get('/bench/ping', async () => ({ ok: true, time: new Date().toISOString() }));
  app.get('/bench/sql', async (request, reply) => {
    const { principal, ability } = await createContext(deps, request);
    if (permission !== 'public') {
      if (!principal || !ability) return reply.code(401).send({ message: 'Unauthorized' });
      if (permission !== 'authenticated' && !ability.can(permission.action, permission.subject)) {
        return reply.code(403).send({ message: 'Forbidden' });
      }
    }
    const results: Record<string, unknown>[][] = [];
    for (const statement of statements) {
      const result = await connection.pool.query({ text: statement.sql, values: statement.params, rowMode: 'array' });
      statement.keys ??= uniqueKeys(result.fields.map((field) => field.name));
      results.push(result.rows.map((row: unknown[]) => Object.fromEntries(statement.keys!.map((key, i) => [key, row[i]]))));
    }
    return results;
  });
  // tRPC without its HTTP layer: the procedure called directly, as `createCaller` would, from a plain route.
  app.get('/bench/caller', async (request) => {
    const query = request.query as { path: string; input?: string };
    return callTRPCProcedure({
      router: appRouter,
      path: query.path,
      getRawInput: async () => (query.input === undefined ? undefined : JSON.parse(query.input)),
      ctx: await createContext(deps, request),
      type: 'query',
      signal: undefined,
      batchIndex: 0,
    });
  });

  const url = await app.listen({ port: config.PORT, host: config.HOST });
  // No pool.end(): handlers of requests the load generator abandoned may still be running, and exiting closes it.
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  // The runner went away without stopping us: don't outlive it.
  process.once('disconnect', () => void stop());
  process.send?.({ url, statements: statements.length });
}

/** The statements one call of the procedure runs, recorded through a logging drizzle instance on the same pool. */
async function captureStatements(pool: pg.Pool, deps: ContextDeps, options: BenchServerOptions, log: FastifyBaseLogger): Promise<Statement[]> {
  const statements: Statement[] = [];
  const db = drizzle(pool, { schema, logger: { logQuery: (sql, params) => statements.push({ sql, params }) } });
  const request = { id: 'bench-capture', log, headers: { authorization: `Bearer ${options.token}` } } as unknown as FastifyRequest;
  const ctx: Context = { ...(await createContext(deps, request)), db };
  await callTRPCProcedure({
    router: appRouter,
    path: options.procedure,
    getRawInput: async () => options.input,
    ctx,
    type: 'query',
    signal: undefined,
    batchIndex: 0,
  });
  if (statements.length === 0) throw new Error(`${options.procedure} ran no SQL: there is nothing to compare it with`);
  return statements;
}

function uniqueKeys(names: string[]): string[] {
  return names.map((name, index) => (names.indexOf(name) === index ? name : `${name}_${index}`));
}

main().catch((error: unknown) => {
  console.error('bench server failed:', error);
  process.exit(1);
});
