import { approveDueCommissions } from '../server/domain/commissions/approve.js';
import type { JobDefinition } from './types.js';

/** Approves pending commissions whose hold period has passed (the commissions area's one set-based statement). */
export function commissionApprovalJob(every: string): JobDefinition {
  return {
    name: 'commission-approval',
    every,
    run: ({ db, now }) => approveDueCommissions(db, now),
  };
}
