import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { connectDatabase, type DatabaseConnection } from '../db/client.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import { runMigrations } from '../db/migrate.js';
import { auditSealJob } from '../jobs/audit-seal.js';
import { analyticsWindowsJob } from '../jobs/analytics-windows.js';
import { commissionApprovalJob } from '../jobs/commission-approval.js';
import { complianceJob } from '../jobs/compliance.js';
import { notificationDeliveryJob } from '../jobs/notification-delivery.js';
import { performanceThresholdsJob } from '../jobs/performance-thresholds.js';
import { retentionJob } from '../jobs/retention.js';
import { createScheduler, type Scheduler } from '../jobs/scheduler.js';
import { referralEffectsJob } from '../jobs/referral-effects.js';
import { webhookDeliveryJob } from '../jobs/webhook-delivery.js';
import { buildApp } from './app.js';
import { createTokenVerifier } from './auth/tokens.js';
import { jwtSecret, type Config } from './config.js';
import { configureCommunications, settingsFromConfig } from './domain/communications/settings.js';
import { configurePayments } from './payments/index.js';

export interface RunningService {
  app: FastifyInstance;
  url: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * Everything `npm start` runs: database (the configured one, or the embedded default), migrations, scheduler,
 * HTTP. `stop()` undoes it in reverse: no new requests and in-flight ones finish, the scheduler drains, the pool
 * closes, the embedded database shuts down.
 */
export async function startService(config: Config): Promise<RunningService> {
  let embedded: EmbeddedDatabase | undefined;
  let connection: DatabaseConnection | undefined;
  let scheduler: Scheduler | undefined;
  let app: FastifyInstance | undefined;

  const stop = async () => {
    await app?.close();
    await scheduler?.stop();
    await connection?.close();
    await embedded?.stop();
  };

  try {
    configureCommunications(settingsFromConfig(config));
    configurePayments(config);
    embedded = config.DATABASE_URL
      ? undefined
      : await startEmbeddedPostgres({ dataDir: resolve(config.DATA_DIR, 'pg') });
    const databaseUrl = config.DATABASE_URL ?? embedded!.url;
    connection = connectDatabase(databaseUrl);
    await runMigrations(connection.db);

    app = await buildApp({
      config,
      db: connection.db,
      verifyToken: createTokenVerifier({
        secret: jwtSecret(config),
        jwksUrl: config.AUTH_JWKS_URL,
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
      }),
      schedulerRunning: () => scheduler?.running() ?? false,
    });
    if (config.SCHEDULER_ENABLED) {
      scheduler = createScheduler({
        pool: connection.pool,
        db: connection.db,
        processEvery: config.SCHEDULER_PROCESS_EVERY,
        jobs: [
          auditSealJob(config.AUDIT_SEAL_EVERY),
          notificationDeliveryJob(config, app.log.child({ component: 'notification-delivery' })),
          webhookDeliveryJob(config),
          retentionJob(config.RETENTION_EVERY),
          complianceJob(config.COMPLIANCE_CHECKS_EVERY),
          performanceThresholdsJob(config.PERFORMANCE_THRESHOLDS_EVERY),
          commissionApprovalJob(config.COMMISSION_APPROVAL_EVERY),
          analyticsWindowsJob(config.ANALYTICS_WINDOWS_EVERY),
          referralEffectsJob(config.REFERRAL_EFFECTS_EVERY),
        ],
        log: app.log.child({ component: 'scheduler' }),
      });
    }
    await scheduler?.start();
    const url = await app.listen({ port: config.PORT, host: config.HOST });
    return { app, url, databaseUrl, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
