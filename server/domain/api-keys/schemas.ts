import { z } from 'zod';
import { API_KEY_SCOPES } from '../../../db/schema/api-keys.js';
import { pageInput } from '../shared/pagination.js';

export const createApiKeyInput = z.object({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).default(['ingest']),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

export const revokeApiKeyInput = z.object({ id: z.uuid() });

export const listApiKeysInput = pageInput.extend({
  includeRevoked: z.boolean().default(false),
});
