import { COMPLIANCE_JOB, runComplianceChecks } from '../server/domain/compliance-jobs/run.js';
import type { JobDefinition } from './types.js';

/** Document expiry reminders and holds, agreement reminders and suspensions (server/domain/compliance-jobs). */
export function complianceJob(every: string): JobDefinition {
  return { name: COMPLIANCE_JOB, every, run: ({ db, now }) => runComplianceChecks(db, now) };
}
