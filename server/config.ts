import { z } from 'zod';
import { TICKET_PRIORITIES, type TicketPriority } from '../db/schema/tickets.js';

const emptyAsMissing = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsMissing, z.string().optional());

const DEFAULT_TICKET_DUE_HOURS = 'urgent=4,high=8,normal=24,low=72';
const ticketDueHours = z.string().transform((list, ctx) => {
  const given = new Map(list.split(',').map((pair) => pair.split('=').map((part) => part.trim()) as [string, string]));
  const hours = TICKET_PRIORITIES.map((priority) => [priority, Number(given.get(priority))] as const);
  if (hours.some(([, value]) => !(value > 0))) {
    ctx.addIssue({ code: 'custom', message: `give positive hours for each of ${TICKET_PRIORITIES.join(', ')}, e.g. ${DEFAULT_TICKET_DUE_HOURS}` });
    return z.NEVER;
  }
  return Object.fromEntries(hours) as Record<TicketPriority, number>;
});

const configSchema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsMissing, z.enum(['development', 'test', 'production']).default('development')),
    PORT: z.preprocess(emptyAsMissing, z.coerce.number().int().min(0).max(65535).default(3000)),
    HOST: z.preprocess(emptyAsMissing, z.string().default('127.0.0.1')),
    DATABASE_URL: z.preprocess(emptyAsMissing, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
    DATA_DIR: z.preprocess(emptyAsMissing, z.string().default('.data')),
    AUTH_JWT_SECRET: optionalString,
    AUTH_JWKS_URL: z.preprocess(emptyAsMissing, z.url().optional()),
    AUTH_ISSUER: optionalString,
    AUTH_AUDIENCE: optionalString,
    CORS_ORIGINS: z.preprocess(
      emptyAsMissing,
      z
        .string()
        .default('')
        .transform((list) =>
          list
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
        ),
    ),
    RATE_LIMIT_PER_MINUTE: z.preprocess(emptyAsMissing, z.coerce.number().int().positive().default(1200)),
    LOG_LEVEL: z.preprocess(
      emptyAsMissing,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    SCHEDULER_ENABLED: z.preprocess(emptyAsMissing, z.stringbool().default(true)),
    SCHEDULER_PROCESS_EVERY: z.preprocess(emptyAsMissing, z.string().default('5 seconds')),
    AUDIT_SEAL_EVERY: z.preprocess(emptyAsMissing, z.string().default('10 seconds')),
    /** Partner jobs' schedules: a human interval ('1 hour') or a cron expression ('0 3 * * *'); see docs/jobs.md. */
    RETENTION_EVERY: z.preprocess(emptyAsMissing, z.string().default('1 hour')),
    COMPLIANCE_CHECKS_EVERY: z.preprocess(emptyAsMissing, z.string().default('1 hour')),
    PERFORMANCE_THRESHOLDS_EVERY: z.preprocess(emptyAsMissing, z.string().default('6 hours')),
    COMMISSION_APPROVAL_EVERY: z.preprocess(emptyAsMissing, z.string().default('15 minutes')),
    /** The sweep of referral effects left queued (each ingesting call applies its own right after it commits). */
    REFERRAL_EFFECTS_EVERY: z.preprocess(emptyAsMissing, z.string().default('1 minute')),
    ANALYTICS_WINDOWS_EVERY: z.preprocess(emptyAsMissing, z.string().default('10 minutes')),
    /** Where the partner dashboard lives: links in notifications are built on it. */
    PUBLIC_BASE_URL: z.preprocess(emptyAsMissing, z.url({ protocol: /^https?$/ }).default('http://localhost:3000')),
    /** Outgoing mail (smtp:// or smtps://). Without it, development writes each email to DATA_DIR/outbox/*.eml. */
    SMTP_URL: z.preprocess(emptyAsMissing, z.url({ protocol: /^smtps?$/ }).optional()),
    SMTP_FROM: z.preprocess(emptyAsMissing, z.string().default('Affiliate Ops <no-reply@localhost>')),
    NOTIFICATION_DELIVERY_EVERY: z.preprocess(emptyAsMissing, z.string().default('1 minute')),
    NOTIFICATION_MAX_ATTEMPTS: z.preprocess(emptyAsMissing, z.coerce.number().int().min(1).max(50).default(8)),
    WEBHOOK_DELIVERY_EVERY: z.preprocess(emptyAsMissing, z.string().default('1 minute')),
    WEBHOOK_MAX_ATTEMPTS: z.preprocess(emptyAsMissing, z.coerce.number().int().min(1).max(50).default(10)),
    /** An endpoint failing this many deliveries in a row is disabled and its owner notified. */
    WEBHOOK_DISABLE_AFTER_FAILURES: z.preprocess(emptyAsMissing, z.coerce.number().int().min(1).default(20)),
    /** First retry delay; each further attempt doubles it, up to six hours. */
    DELIVERY_RETRY_BASE_SECONDS: z.preprocess(emptyAsMissing, z.coerce.number().int().min(1).default(60)),
    /** Defaults to true outside production: webhooks to loopback and private networks (SSRF) are refused in production. */
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: z.preprocess(emptyAsMissing, z.stringbool().optional()),
    /** Hours until a ticket is due, by priority: `urgent=4,high=8,normal=24,low=72`. */
    TICKET_DUE_HOURS: z.preprocess(emptyAsMissing, ticketDueHours.prefault(DEFAULT_TICKET_DUE_HOURS)),
    /** `fast` serves tRPC with server/http/trpc-fastify.ts; `stock` with tRPC's own Fastify adapter (for comparison). */
    TRPC_ADAPTER: z.preprocess(emptyAsMissing, z.enum(['fast', 'stock']).default('fast')),
    /**
     * The payment processor (Tipalti's payment API). Without a base URL, development and tests pay through an
     * in-process fake processor, and production refuses to submit payouts.
     */
    TIPALTI_BASE_URL: z.preprocess(emptyAsMissing, z.url({ protocol: /^https?$/ }).optional()),
    /** A static bearer key; or TIPALTI_CLIENT_ID + TIPALTI_CLIENT_SECRET for OAuth client credentials. */
    TIPALTI_API_KEY: optionalString,
    TIPALTI_CLIENT_ID: optionalString,
    TIPALTI_CLIENT_SECRET: optionalString,
    /** The OAuth token endpoint; defaults to <TIPALTI_BASE_URL>/connect/token. */
    TIPALTI_TOKEN_URL: z.preprocess(emptyAsMissing, z.url({ protocol: /^https?$/ }).optional()),
    TIPALTI_PAYER_NAME: z.preprocess(emptyAsMissing, z.string().default('Affiliate Ops')),
    /** A processor call that takes longer is abandoned; its payouts become unconfirmed until a retry asks. */
    TIPALTI_TIMEOUT_MS: z.preprocess(emptyAsMissing, z.coerce.number().int().min(50).max(600_000).default(30_000)),
  })
  .superRefine((config, ctx) => {
    if (Boolean(config.TIPALTI_CLIENT_ID) !== Boolean(config.TIPALTI_CLIENT_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['TIPALTI_CLIENT_SECRET'], message: 'set TIPALTI_CLIENT_ID and TIPALTI_CLIENT_SECRET together' });
    }
    if (config.NODE_ENV !== 'production') return;
    if (!config.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required in production' });
    }
    if (!config.AUTH_JWKS_URL && (config.AUTH_JWT_SECRET ?? '').length < 32) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'must be at least 32 characters in production (or set AUTH_JWKS_URL)',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/** The development-only secret used when none is configured; production refuses to start with it. */
export const DEVELOPMENT_JWT_SECRET = 'affiliate-ops-development-secret-do-not-use-in-production';

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function jwtSecret(config: Config): string {
  return config.AUTH_JWT_SECRET ?? DEVELOPMENT_JWT_SECRET;
}

export function allowPrivateWebhookTargets(config: Config): boolean {
  return config.WEBHOOKS_ALLOW_PRIVATE_TARGETS ?? config.NODE_ENV !== 'production';
}
