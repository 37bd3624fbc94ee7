import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { migrationsApplied } from '../db/migrate.js';
import type { Config } from './config.js';
import type { TokenVerifier } from './auth/tokens.js';
import { createContext } from './context.js';
import { fastTRPCPlugin, type FastTRPCHandlerOptions } from './http/trpc-fastify.js';
import { settleEffectsRunner } from './domain/referrals/effects-runner.js';
import { registerMetrics } from './metrics.js';
import { appRouter, type AppRouter } from './routers/index.js';

export interface AppDeps {
  config: Pick<Config, 'CORS_ORIGINS' | 'RATE_LIMIT_PER_MINUTE' | 'LOG_LEVEL' | 'TRPC_ADAPTER'>;
  db: Database;
  verifyToken: TokenVerifier;
  /** Reports whether the scheduler is running, for /readyz. */
  schedulerRunning: () => boolean;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? { level: deps.config.LOG_LEVEL },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { maxParamLength: 5000 },
    bodyLimit: 5 * 1024 * 1024,
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(helmet);
  await app.register(cors, { origin: deps.config.CORS_ORIGINS.length > 0 ? deps.config.CORS_ORIGINS : false });
  await app.register(rateLimit, {
    max: deps.config.RATE_LIMIT_PER_MINUTE,
    timeWindow: '1 minute',
    allowList: (request) => ['/healthz', '/readyz', '/metrics'].includes(request.url),
  });
  const metrics = registerMetrics(app, deps.db);

  const trpcOptions: FastTRPCHandlerOptions<AppRouter> = {
    router: appRouter,
    createContext: ({ req }) => createContext({ db: deps.db, verifyToken: deps.verifyToken }, req),
    onError: ({ error, path, ctx }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        (ctx?.log ?? app.log).error({ err: error.cause ?? error, path, requestId: ctx?.requestId }, 'procedure failed');
      }
    },
  };
  if (deps.config.TRPC_ADAPTER === 'stock') {
    await app.register(fastifyTRPCPlugin<AppRouter>, { prefix: '/trpc', trpcOptions });
  } else {
    await app.register(fastTRPCPlugin<AppRouter>, { prefix: '/trpc', trpcOptions });
  }

  // Effects queued by the last ingesting calls are applied before the pool closes.
  app.addHook('onClose', () => settleEffectsRunner(deps.db, app.log));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = {
      database: await deps.db.execute(sql`select 1`).then(
        () => true,
        () => false,
      ),
      migrations: await migrationsApplied(deps.db),
      scheduler: deps.schedulerRunning(),
    };
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });
  return app;
}
