import { z } from 'zod';
import { PAYOUT_BATCH_STATUSES } from '../../../db/schema/payouts.js';
import { dateRange, pageInput } from '../shared/pagination.js';

const note = z.string().trim().min(1).max(1000);

export const createBatchInput = z.object({
  /** Only partners of this program (their current program). */
  programId: z.uuid().optional(),
  /** Only ledger entries in this currency. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD').optional(),
  /** Only these partners; each one that gets no payout is reported with its reasons. */
  partnerIds: z
    .array(z.uuid())
    .min(1)
    .max(1000)
    .refine((ids) => new Set(ids).size === ids.length, 'partner ids repeat')
    .optional(),
  note: note.optional(),
});
export type CreateBatchInput = z.output<typeof createBatchInput>;

export const batchRef = z.object({ batchId: z.uuid() });
export type BatchRef = z.output<typeof batchRef>;

export const retryInput = batchRef.extend({
  /** Only these payouts of the batch; by default every payout a retry can move on. */
  payoutIds: z.array(z.uuid()).min(1).max(1000).optional(),
});
export type RetryInput = z.output<typeof retryInput>;

export const cancelInput = z
  .object({
    batchId: z.uuid().optional(),
    payoutId: z.uuid().optional(),
    reason: note,
  })
  .refine((input) => (input.batchId === undefined) !== (input.payoutId === undefined), {
    message: 'give either batchId (the whole batch) or payoutId (one payout)',
    path: ['batchId'],
  });
export type CancelInput = z.output<typeof cancelInput>;

export const listBatchesInput = pageInput.extend({
  status: z.enum(PAYOUT_BATCH_STATUSES).optional(),
  created: dateRange.optional(),
});
export type ListBatchesInput = z.output<typeof listBatchesInput>;
