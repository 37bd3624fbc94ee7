import { z } from 'zod';
import { pageInput } from '../shared/pagination.js';

export const publishUpdateInput = z.object({
  programId: z.uuid(),
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(20_000),
  requiresAcknowledgment: z.boolean().default(false),
});

export const acknowledgeUpdateInput = z.object({ updateId: z.uuid(), partnerId: z.uuid() });

export const updateStatusInput = pageInput.extend({
  updateId: z.uuid(),
  /** Only partners who have (true) or have not (false) acknowledged. */
  acknowledged: z.boolean().optional(),
});

export type PublishUpdateInput = z.infer<typeof publishUpdateInput>;
export type AcknowledgeUpdateInput = z.infer<typeof acknowledgeUpdateInput>;
export type UpdateStatusInput = z.infer<typeof updateStatusInput>;
