import { createApiKey, listApiKeys, revokeApiKey } from '../domain/api-keys/api-keys.js';
import { createApiKeyInput, listApiKeysInput, revokeApiKeyInput } from '../domain/api-keys/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const apiKeysRouter = router({
  /** Returns the secret once; only its sha256 is stored. */
  create: procedureFor('create', 'ApiKey')
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.actor, input)),
  list: procedureFor('read', 'ApiKey')
    .input(listApiKeysInput)
    .query(({ ctx, input }) => listApiKeys(ctx.db, ctx.ability, input)),
  revoke: procedureFor('delete', 'ApiKey')
    .input(revokeApiKeyInput)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.actor, input)),
});
