import { rollWindows } from '../server/domain/analytics/windows.js';
import type { JobDefinition } from './types.js';

/** Moves the analytics trailing windows on to today (a no-op until the UTC day changes). */
export function analyticsWindowsJob(every: string): JobDefinition {
  return {
    name: 'analytics-windows',
    every,
    run: ({ db, now }) => rollWindows(db, now),
  };
}
