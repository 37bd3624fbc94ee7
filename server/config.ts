import { z } from 'zod';

const emptyAsMissing = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsMissing, z.string().optional());

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
  })
  .superRefine((config, ctx) => {
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
