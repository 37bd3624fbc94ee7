import type { Database, Executor } from '../../../db/client.js';
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
import { requireProgram, selectionFor } from './scope.js';
import { inSnapshot } from './snapshot.js';
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

export function programHealth(
  db: Database,
  caller: Caller,
  input: ProgramHealthInput,
  sources: AnalyticsSources = rollupSources,
  now: Date = new Date(),
): Promise<ProgramHealth> {
  return inSnapshot(db, (tx) => healthOf(tx, caller, input, sources, now));
}

async function healthOf(db: Executor, caller: Caller, input: ProgramHealthInput, sources: AnalyticsSources, now: Date): Promise<ProgramHealth> {
  const range = resolveRange(input.dateRange, now);
  if (input.programId) await requireProgram(db, input.programId);
  const selection = selectionFor(caller.ability, input.programId);
  const end = rangeInstants(range).to;
  const current = await programsInForce(db, now);
  const atEnd = end < now ? await programsInForce(db, end) : current;
  const revenue = await revenueHealth(db, caller.ability, selection, sources, range);
  return {
    programId: selection.programId,
    range,
    partners: await partnerGrowth(db, selection, range),
    retention: await cohorts(db, selection, sources, range, atEnd.programs),
    compliance: await complianceHealth(db, selection, sources, current.programs, now.toISOString().slice(0, 10)),
    quality: revenue.quality,
    participation: await participation(db, selection, sources, range),
    firstConversion: await firstConversion(db, selection, sources, range),
    concentration: revenue.concentration,
    performers: revenue.performers,
  };
}
