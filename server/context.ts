import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Database } from '../db/client.js';
import { defineAbilityFor, type AppAbility, type Principal } from './auth/abilities.js';
import type { TokenVerifier } from './auth/tokens.js';
import { authenticateApiKey, type ApiKeyPrincipal } from './domain/api-keys/authenticate.js';
import { AppError } from './errors.js';

/** Who is acting, for domain functions: the principal plus the request that carries the action. */
export interface Actor extends Principal {
  requestId: string | null;
}

export interface ContextDeps {
  db: Database;
  verifyToken: TokenVerifier;
}

export interface Context {
  db: Database;
  requestId: string;
  log: FastifyBaseLogger;
  /** The verified caller, or null when no or an invalid token came; `authError` says why. */
  principal: Principal | null;
  authError: AppError | null;
  ability: AppAbility | null;
  /** The calling service when an API key came (`x-api-key` or `Authorization: ApiKey <key>`); never with a principal. */
  apiKey: ApiKeyPrincipal | null;
}

function apiKeyFrom(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  return /^ApiKey\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
}

// Built once: anonymous requests are common (public procedures, probes) and an error's stack trace is not free.
const MISSING_TOKEN = new AppError('UNAUTHORIZED', 'Unauthorized: send Authorization: Bearer <token>');
const MALFORMED_HEADER = new AppError('UNAUTHORIZED', 'Unauthorized: the Authorization header must be "Bearer <token>"');

export async function createContext(deps: ContextDeps, request: FastifyRequest): Promise<Context> {
  const base = { db: deps.db, requestId: String(request.id), log: request.log, apiKey: null };
  const apiKeySecret = apiKeyFrom(request);
  if (apiKeySecret !== undefined) {
    const apiKey = await authenticateApiKey(deps.db, apiKeySecret);
    const authError = apiKey ? null : new AppError('UNAUTHORIZED', 'Unauthorized: the API key is unknown or revoked');
    return { ...base, principal: null, ability: null, apiKey, authError };
  }
  const header = request.headers.authorization;
  if (!header) {
    return { ...base, principal: null, ability: null, authError: MISSING_TOKEN };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    return { ...base, principal: null, ability: null, authError: MALFORMED_HEADER };
  }
  try {
    const principal = await deps.verifyToken(match[1]);
    return { ...base, principal, ability: defineAbilityFor(principal), authError: null };
  } catch (error) {
    if (error instanceof AppError) return { ...base, principal: null, ability: null, authError: error };
    throw error;
  }
}
