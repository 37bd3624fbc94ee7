import type { Database } from '../db/client.js';

export interface JobContext {
  db: Database;
  now: Date;
}

/** One periodic job: its name, how often it runs, and what it does (returning counts for the job log). */
export interface JobDefinition {
  name: string;
  every: string;
  run(context: JobContext): Promise<Record<string, number>>;
}
