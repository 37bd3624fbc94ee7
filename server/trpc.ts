import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { z } from 'zod';
import { transformer } from './http/transformer.js';
import type { ApiKeyScope } from '../db/schema/api-keys.js';
import type { Action, SubjectType } from './auth/abilities.js';
import type { Actor, Context } from './context.js';
import { AppError, PG_FOREIGN_KEY_VIOLATION, PG_INPUT_DATA_EXCEPTIONS, PG_UNIQUE_VIOLATION, pgErrorCode } from './errors.js';

/** Every procedure says who may call it; the authorization matrix test reads this. */
export type Permission = 'public' | 'authenticated' | { action: Action; subject: SubjectType } | { apiKeyScope: ApiKeyScope };
export interface Meta {
  permission: Permission;
}

function describeZodIssues(error: z.ZodError): { message: string; fieldErrors: Record<string, string[]> } {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.') || '(input)';
    (fieldErrors[field] ??= []).push(issue.message);
  }
  const message = Object.entries(fieldErrors)
    .map(([field, messages]) => `${field}: ${messages.join(', ')}`)
    .join('; ');
  return { message: `Invalid input: ${message}`, fieldErrors };
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Dates, Maps and bigints reach the typed client as what its types say, not as strings.
    transformer,
    errorFormatter({ shape, error, ctx }) {
      const { stack: _stack, ...data } = shape.data;
      if (error.cause instanceof z.ZodError) {
        const { message, fieldErrors } = describeZodIssues(error.cause);
        return { ...shape, message, data: { ...data, fieldErrors } };
      }
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        return {
          ...shape,
          message: `Internal server error (request ${ctx?.requestId ?? 'unknown'})`,
          data,
        };
      }
      const details = error.cause instanceof AppError ? error.cause.details : undefined;
      return { ...shape, data: details ? { ...data, details } : data };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * The one place that turns domain errors into tRPC errors. Unique and foreign-key violations and data exceptions
 * that slipped past a domain check or the input schema are a caller's conflict, missing row or bad value, not a
 * server fault.
 */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof AppError) {
    throw new TRPCError({ code: cause.code satisfies TRPC_ERROR_CODE_KEY, message: cause.message, cause });
  }
  const pgCode = pgErrorCode(cause);
  if (pgCode === PG_UNIQUE_VIOLATION) {
    throw new TRPCError({ code: 'CONFLICT', message: 'A record with these values already exists', cause });
  }
  if (pgCode === PG_FOREIGN_KEY_VIOLATION) {
    throw new TRPCError({ code: 'NOT_FOUND', message: 'A referenced record does not exist', cause });
  }
  if (pgCode && PG_INPUT_DATA_EXCEPTIONS.has(pgCode)) {
    const message = 'Invalid input: a value cannot be stored (e.g. a NUL character, or a number or date out of range)';
    throw new TRPCError({ code: 'BAD_REQUEST', message, cause });
  }
  return result;
});

const baseProcedure = t.procedure.use(mapErrors);

export const publicProcedure = baseProcedure.meta({ permission: 'public' });

/**
 * The staff member calling, with a known role, and their audit actor; else the UNAUTHORIZED or FORBIDDEN to throw.
 * Only the narrowed keys go to `next`: tRPC merges them into the context.
 */
function staffCaller(ctx: Context) {
  if (ctx.apiKey) throw new AppError('FORBIDDEN', 'Forbidden: an API key may only call the procedures of its scopes');
  if (!ctx.principal || !ctx.ability) {
    throw ctx.authError ?? new AppError('UNAUTHORIZED', 'Unauthorized');
  }
  if (ctx.principal.roles.length === 0) {
    throw new AppError('FORBIDDEN', 'Forbidden: the token carries no known role');
  }
  const actor: Actor = { ...ctx.principal, requestId: ctx.requestId };
  return { principal: ctx.principal, ability: ctx.ability, actor };
}

/** Any staff member with a known role. */
export const authedProcedure = baseProcedure.meta({ permission: 'authenticated' }).use(({ ctx, next }) => next({ ctx: staffCaller(ctx) }));

/**
 * A procedure for callers whose ability allows `action` on some `subject`. Checks that depend on the row
 * (e.g. a Partner Manager's own partners) happen in the procedure once the row is loaded. One middleware, not
 * two: each middleware level copies tRPC's call options twice, key by key (with the smaller context passed on, tRPC's
 * own CPU per `partners.get` call went from 43 to 27 µs in a profile).
 */
export function procedureFor(action: Action, subject: SubjectType) {
  return baseProcedure.meta({ permission: { action, subject } }).use(({ ctx, next }) => {
    const caller = staffCaller(ctx);
    if (!caller.ability.can(action, subject)) {
      throw new AppError('FORBIDDEN', `Forbidden: your roles (${caller.principal.roles.join(', ')}) may not ${action} ${subject}`);
    }
    return next({ ctx: caller });
  });
}

/**
 * A procedure for internal services only: it takes an API key with `scope`. A person's token is FORBIDDEN here;
 * no key, or an unknown or revoked one, is UNAUTHORIZED. The actor of the audit trail is the key.
 */
export function apiKeyProcedure(scope: ApiKeyScope) {
  return baseProcedure.meta({ permission: { apiKeyScope: scope } }).use(({ ctx, next }) => {
    if (ctx.apiKey) {
      if (!ctx.apiKey.scopes.includes(scope)) throw new AppError('FORBIDDEN', `Forbidden: this API key lacks the ${scope} scope`);
      const actor: Actor = { userId: `api-key:${ctx.apiKey.id}`, roles: [], requestId: ctx.requestId };
      return next({ ctx: { apiKey: ctx.apiKey, actor } });
    }
    if (ctx.principal) throw new AppError('FORBIDDEN', 'Forbidden: this procedure takes an API key, not a person\'s token');
    throw ctx.authError ?? new AppError('UNAUTHORIZED', 'Unauthorized: send x-api-key: <key> or Authorization: ApiKey <key>');
  });
}

export const ingestProcedure = apiKeyProcedure('ingest');
