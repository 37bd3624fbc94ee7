import type { Actor } from '../../context.js';

/** The actor a scheduled job records in the audit trail. */
export function systemActor(jobName: string): Actor {
  return { userId: `system:${jobName}`, roles: [], requestId: null };
}
