import { z } from 'zod';
import { COMMISSION_KINDS, COMMISSION_STATUSES } from '../../../db/schema/commissions.js';
import { dateRange, pageInput } from '../shared/pagination.js';

const entryId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const listCommissionsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  kind: z.enum(COMMISSION_KINDS).optional(),
  status: z.enum(COMMISSION_STATUSES).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  eventId: entryId.optional(),
  created: dateRange.optional(),
});
export type ListCommissionsInput = z.output<typeof listCommissionsInput>;

export const approveCommissionsInput = z.object({
  ids: z.array(entryId).min(1).max(500).refine((ids) => new Set(ids).size === ids.length, 'ids repeat'),
  note: z.string().trim().min(1).max(1000).optional(),
});
export type ApproveCommissionsInput = z.output<typeof approveCommissionsInput>;

export const balanceInput = z.object({ partnerId: z.uuid() });
