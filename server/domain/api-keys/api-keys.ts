import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Executor } from '../../../db/client.js';
import { apiKeys } from '../../../db/schema/api-keys.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { uuidCursor } from '../shared/keyset.js';
import { afterCursorDesc } from '../shared/keyset.js';
import { toPage } from '../shared/pagination.js';
import { generateApiKeySecret } from './authenticate.js';
import { createApiKeyInput, listApiKeysInput, revokeApiKeyInput } from './schemas.js';

/** Everything about a key except its hash. */
const apiKeyColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdBy: apiKeys.createdBy,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  revokedBy: apiKeys.revokedBy,
};

/** Creates a key and returns its secret: the only time the secret is ever shown. */
export async function createApiKey(db: Database, actor: Actor, input: z.output<typeof createApiKeyInput>) {
  const { secret, prefix, keyHash } = generateApiKeySecret();
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiKeys)
      .values({ name: input.name, scopes: input.scopes, prefix, keyHash, createdBy: actor.userId })
      .returning(apiKeyColumns);
    if (!created) throw new Error('insert returned no row');
    await recordActivity(tx, actor, {
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: created.id,
      after: { name: created.name, prefix, scopes: created.scopes },
    });
    return { ...created, secret };
  });
}

export async function listApiKeys(db: Executor, ability: AppAbility, input: z.output<typeof listApiKeysInput>) {
  const rows = await db
    .select(apiKeyColumns)
    .from(apiKeys)
    .where(
      and(
        accessibleWhere(ability, 'read', 'ApiKey', { id: apiKeys.id }),
        input.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
        input.cursor ? afterCursorDesc(apiKeys, apiKeys.createdAt, apiKeys.id, uuidCursor(input.cursor)) : undefined,
      ),
    )
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** Revokes a key at once: the next request carrying it is UNAUTHORIZED. */
export async function revokeApiKey(db: Database, actor: Actor, input: z.output<typeof revokeApiKeyInput>) {
  return db.transaction(async (tx) => {
    const [current] = await tx.select(apiKeyColumns).from(apiKeys).where(eq(apiKeys.id, input.id)).for('update');
    if (!current) throw notFound('API key', input.id);
    if (current.revokedAt) throw illegalTransition('API key', 'revoked', 'revoked');
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()`, revokedBy: actor.userId })
      .where(eq(apiKeys.id, input.id))
      .returning(apiKeyColumns);
    await recordActivity(tx, actor, {
      action: 'api_key.revoke',
      entityType: 'api_key',
      entityId: input.id,
      before: { revokedAt: null },
      after: { revokedAt: revoked!.revokedAt },
    });
    return revoked!;
  });
}
