import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../../db/schema/api-keys.js';

/** A service calling with an API key, as the request context knows it. */
export interface ApiKeyPrincipal {
  id: string;
  scopes: ApiKeyScope[];
}

const SECRET_PREFIX = 'aok_';
const DISPLAY_PREFIX_LENGTH = SECRET_PREFIX.length + 8;

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKeySecret(): { secret: string; prefix: string; keyHash: string } {
  const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, DISPLAY_PREFIX_LENGTH), keyHash: hashApiKey(secret) };
}

/**
 * The unrevoked key with this secret, or null. Records when the key was last used, at most once a minute, so a
 * busy ingesting service does not turn every request into a write on one row.
 */
export async function authenticateApiKey(db: Executor, secret: string): Promise<ApiKeyPrincipal | null> {
  if (!secret.startsWith(SECRET_PREFIX) || secret.length > 200) return null;
  const result = await db.execute<{ id: string; scopes: string[] }>(sql`
    with found as (
      select id, scopes, last_used_at from api_keys where key_hash = ${hashApiKey(secret)} and revoked_at is null
    ), touched as (
      update api_keys k set last_used_at = now()
      from found
      where k.id = found.id and (found.last_used_at is null or found.last_used_at < now() - interval '1 minute')
      returning k.id
    )
    select id, scopes from found`);
  const row = result.rows[0];
  if (!row) return null;
  return { id: row.id, scopes: row.scopes.filter((scope): scope is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(scope)) };
}
