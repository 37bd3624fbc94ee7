import type { PayoutBatchStatus, PayoutStatus } from '../../../db/schema/payouts.js';
import { illegalTransition } from '../../errors.js';

/**
 * Batches:  draft → approved → submitted → completed;  draft | approved → cancelled;
 *           submitted → cancelled when every payout ended cancelled (`abandon`).
 */
export const BATCH_TRANSITIONS = {
  approve: { from: ['draft'], to: 'approved' },
  submit: { from: ['approved'], to: 'submitted' },
  cancel: { from: ['draft', 'approved'], to: 'cancelled' },
  complete: { from: ['submitted'], to: 'completed' },
  abandon: { from: ['submitted'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly PayoutBatchStatus[]; to: PayoutBatchStatus }>;

/**
 * Payouts:  pending → submitting → paid | processing | failed | unconfirmed;
 *           failed | unconfirmed | processing | submitting (a crashed attempt) → submitting (retry);
 *           pending | failed → cancelled.
 */
export const PAYOUT_TRANSITIONS = {
  submit: { from: ['pending'], to: 'submitting' },
  retry: { from: ['failed', 'unconfirmed', 'processing', 'submitting'], to: 'submitting' },
  pay: { from: ['submitting'], to: 'paid' },
  process: { from: ['submitting'], to: 'processing' },
  fail: { from: ['submitting'], to: 'failed' },
  lose: { from: ['submitting'], to: 'unconfirmed' },
  cancel: { from: ['pending', 'failed'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly PayoutStatus[]; to: PayoutStatus }>;

export type BatchAction = keyof typeof BATCH_TRANSITIONS;
export type PayoutAction = keyof typeof PAYOUT_TRANSITIONS;

/** Payouts whose money question is settled: paid, or never to be paid. */
export const FINAL_PAYOUT_STATUSES = ['paid', 'cancelled'] as const satisfies readonly PayoutStatus[];

export function nextBatchStatus(current: PayoutBatchStatus, action: BatchAction): PayoutBatchStatus {
  const { from, to } = BATCH_TRANSITIONS[action];
  if (!(from as readonly PayoutBatchStatus[]).includes(current)) throw illegalTransition('Payout batch', current, to);
  return to;
}

export function nextPayoutStatus(current: PayoutStatus, action: PayoutAction): PayoutStatus {
  const { from, to } = PAYOUT_TRANSITIONS[action];
  if (!(from as readonly PayoutStatus[]).includes(current)) throw illegalTransition('Payout', current, to);
  return to;
}
