import { z } from 'zod';
import { FRAUD_FLAG_STATUSES, FRAUD_RULES } from '../../../db/schema/fraud.js';
import { dateRange, pageInput } from '../shared/pagination.js';

export const listFraudFlagsInput = pageInput.extend({
  partnerId: z.uuid().optional(),
  rule: z.enum(FRAUD_RULES).optional(),
  status: z.enum(FRAUD_FLAG_STATUSES).optional(),
  created: dateRange.optional(),
});
export type ListFraudFlagsInput = z.output<typeof listFraudFlagsInput>;

export const reviewFraudFlagInput = z
  .object({
    flagId: z.uuid(),
    decision: z.enum(['confirm', 'dismiss']),
    note: z.string().trim().min(1).max(2000),
    /** With confirm: also suspend the partner (reason fraud) when it is active. */
    suspendPartner: z.boolean().default(false),
  })
  .refine((input) => input.decision === 'confirm' || !input.suspendPartner, {
    message: 'only a confirmed flag suspends the partner',
    path: ['suspendPartner'],
  });
export type ReviewFraudFlagInput = z.output<typeof reviewFraudFlagInput>;
