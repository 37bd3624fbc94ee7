import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { programConfiguration, type ProgramConfiguration } from '../programs/configuration.js';
import { versionInForce } from '../referrals/program-rules-sql.js';

export interface ProgramInForce {
  id: string;
  name: string;
  currency: string;
  status: 'active' | 'archived';
  version: number;
  configuration: ProgramConfiguration;
}

/**
 * Every program with the configuration version in force at `now` (the choice `configurationAt` makes), in one
 * query. A stored configuration the current schema refuses is left out and counted, so one bad program does not
 * stop a job for all the others.
 */
export async function programsInForce(db: Executor, now: Date): Promise<{ programs: ProgramInForce[]; unreadable: number }> {
  type Row = Omit<ProgramInForce, 'configuration'> & { configuration: unknown };
  const result = await db.execute<Row>(sql`
    select p.id, p.name, p.currency, p.status, v.version, v.configuration
    from programs p
    cross join lateral ${versionInForce(sql`p.id`, sql`${now.toISOString()}::timestamptz`)} v
    order by p.id`);
  const programs: ProgramInForce[] = [];
  let unreadable = 0;
  for (const row of result.rows) {
    const parsed = programConfiguration.safeParse(row.configuration);
    if (parsed.success) programs.push({ ...row, configuration: parsed.data });
    else unreadable++;
  }
  return { programs, unreadable };
}
