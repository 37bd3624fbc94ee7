import { PERFORMANCE_JOB, runPerformanceThresholds } from '../server/domain/performance/run.js';
import type { JobDefinition } from './types.js';

/** Tier promotions and demotions by the programs' performance thresholds (server/domain/performance). */
export function performanceThresholdsJob(every: string): JobDefinition {
  return { name: PERFORMANCE_JOB, every, run: ({ db, now }) => runPerformanceThresholds(db, now) };
}
