import { RETENTION_JOB, runRetention } from '../server/domain/retention/run.js';
import type { JobDefinition } from './types.js';

/** Re-engagement, at-risk and churn markers, and the daily retention snapshot (server/domain/retention). */
export function retentionJob(every: string): JobDefinition {
  return { name: RETENTION_JOB, every, run: ({ db, now }) => runRetention(db, now) };
}
