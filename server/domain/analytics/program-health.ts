import { eq } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { programs } from '../../../db/schema/programs.js';
import { notFound } from '../../errors.js';
import type { Caller } from '../partners/access.js';
import { programsInForce } from '../partner-jobs/programs-in-force.js';
import { cohorts, type Cohort } from './health/cohorts.js';
import {
  complianceHealth,
  firstConversion,
  participation,
  partnerGrowth,
  type ComplianceHealth,
  type FirstConversion,
  type Participation,
  type PartnerGrowth,
} from './health/partners.js';
import { revenueHealth, type Performers, type Quality, type RevenueConcentration } from './health/revenue.js';
import { rangeInstants, resolveRange, type DayRange } from './range.js';
import type { ProgramHealthInput } from './schemas.js';
import { selectionFor } from './scope.js';
import { rollupSources, type AnalyticsSources } from './sources.js';

/**
 * One program's (or every program's) health over a range, over the partners the caller may read. Partner-based
 * figures follow each partner's current program; event-based ones (revenue, refunds, performers) the program
 * each event was attributed under.
 */
export interface ProgramHealth {
  programId: string | null;
  range: DayRange;
  partners: PartnerGrowth;
  retention: Cohort[];
  compliance: ComplianceHealth;
  quality: Quality;
  participation: Participation;
  firstConversion: FirstConversion;
  concentration: RevenueConcentration[];
  performers: Performers[];
}

export async function programHealth(
  db: Executor,
  caller: Caller,
  input: ProgramHealthInput,
  sources: AnalyticsSources = rollupSources,
  now: Date = new Date(),
): Promise<ProgramHealth> {
  const range = resolveRange(input.dateRange, now);
  if (input.programId) {
    const [program] = await db.select({ id: programs.id }).from(programs).where(eq(programs.id, input.programId));
    if (!program) throw notFound('Program', input.programId);
  }
  const selection = selectionFor(caller.ability, input.programId);
  const end = rangeInstants(range).to;
  const [current, atEnd] = await Promise.all([programsInForce(db, now), programsInForce(db, end < now ? end : now)]);
  const [partners, retention, compliance, revenue, engaged, converted] = await Promise.all([
    partnerGrowth(db, selection, range),
    cohorts(db, selection, sources, range, atEnd.programs),
    complianceHealth(db, selection, current.programs, now.toISOString().slice(0, 10)),
    revenueHealth(db, caller.ability, selection, sources, range),
    participation(db, selection, sources, range),
    firstConversion(db, selection, sources, range),
  ]);
  return {
    programId: selection.programId,
    range,
    partners,
    retention,
    compliance,
    quality: revenue.quality,
    participation: engaged,
    firstConversion: converted,
    concentration: revenue.concentration,
    performers: revenue.performers,
  };
}
