import { sql } from 'drizzle-orm';
import type { Executor } from '../../../../db/client.js';
import type { ProgramInForce } from '../../partner-jobs/programs-in-force.js';
import { rate, type Rate } from '../measures.js';
import { addDays, daysBetween, type DayRange } from '../range.js';
import type { Selection } from '../scope.js';
import { dayStart, rangeRows, type AnalyticsSources } from '../sources.js';

/** Partners of the selection: active now, and who applied (signed up) and was activated in the range. */
export interface PartnerGrowth {
  active: number;
  applied: number;
  activated: number;
  /** The same counts for the period of equal length just before the range, for growth. */
  previousPeriod: DayRange & { applied: number; activated: number };
}

export async function partnerGrowth(db: Executor, selection: Selection, range: DayRange): Promise<PartnerGrowth> {
  const previous = { from: addDays(range.from, -daysBetween(range)), to: range.from };
  const within = (column: string, period: DayRange) =>
    sql`${sql.raw(column)} >= ${dayStart(period.from)} and ${sql.raw(column)} < ${dayStart(period.to)}`;
  const result = await db.execute<{ active: number; applied: number; activated: number; applied_before: number; activated_before: number }>(sql`
    select count(*) filter (where partners.status = 'active')::int as active,
      count(*) filter (where ${within('partners.created_at', range)})::int as applied,
      count(*) filter (where ${within('partners.activated_at', range)})::int as activated,
      count(*) filter (where ${within('partners.created_at', previous)})::int as applied_before,
      count(*) filter (where ${within('partners.activated_at', previous)})::int as activated_before
    from partners where ${selection.partners}`);
  const row = result.rows[0]!;
  return {
    active: row.active,
    applied: row.applied,
    activated: row.activated,
    previousPeriod: { ...previous, applied: row.applied_before, activated: row.activated_before },
  };
}

/**
 * Compliance of the active partners now: accepted the current agreement (the agreements area's definition), and
 * hold a valid approved document of every kind their program's configuration in force requires (the compliance
 * area's definition).
 */
export interface ComplianceHealth {
  activePartners: number;
  agreementAccepted: number;
  documentsValid: number;
  compliant: number;
  rate: Rate;
}

export async function complianceHealth(
  db: Executor,
  selection: Selection,
  sources: AnalyticsSources,
  programs: ProgramInForce[],
  today: string,
): Promise<ComplianceHealth> {
  // Per program in force that requires documents: each required kind valid today. Other partners need none.
  const requirements = programs
    .filter((program) => program.configuration.rules.requiredDocuments.length > 0)
    .map((program) => sql`when ${program.id}::uuid then ${sql.join(
      program.configuration.rules.requiredDocuments.map((kind) => sources.documentValid(kind, today)),
      sql` and `,
    )}`);
  const documents = requirements.length > 0 ? sql`case partners.program_id ${sql.join(requirements, sql` `)} else true end` : sql`true`;
  const result = await db.execute<{ active: number; agreement: number; documents: number; compliant: number }>(sql`
    select count(*)::int as active, count(*) filter (where agreement)::int as agreement,
      count(*) filter (where documents)::int as documents, count(*) filter (where agreement and documents)::int as compliant
    from (
      select ${sources.agreementAccepted} as agreement, ${documents} as documents
      from partners where ${selection.partners} and partners.status = 'active'
      -- Each partner's conditions are evaluated once, not once per count they feed.
      offset 0
    ) active`);
  const row = result.rows[0]!;
  return {
    activePartners: row.active,
    agreementAccepted: row.agreement,
    documentsValid: row.documents,
    compliant: row.compliant,
    rate: rate(row.compliant, row.active),
  };
}

export const PARTICIPATION_DAYS = 30;

/**
 * Participation: the share of the active partners with a click, lead or sale (under the program) in the 30 days
 * before the range's end, and the share of the recipients of each program's latest update (published before the
 * range's end) who acknowledged it by then.
 */
export interface Participation {
  activePartners: number;
  activeLast30Days: number;
  rate: Rate;
  acknowledgment: { updates: number; recipients: number; acknowledged: number; rate: Rate };
}

export async function participation(db: Executor, selection: Selection, sources: AnalyticsSources, range: DayRange): Promise<Participation> {
  const { rows: recent } = await rangeRows(db, sources, { from: addDays(range.to, -PARTICIPATION_DAYS), to: range.to });
  const end = dayStart(range.to);
  // Two counts rather than one left join: the semi-join hashes the recent rows once, where parallel workers each
  // built the whole join's hash.
  const active = await db.execute<{ active: number; recent: number }>(sql`
    select (select count(*)::int from partners where ${selection.partners} and partners.status = 'active') as active,
      (select count(*)::int from partners
        where ${selection.partners} and partners.status = 'active' and exists (
          select 1 from ${recent} d where ${selection.rows('d')} and d.partner_id = partners.id and d.clicks + d.leads + d.sales > 0
        )) as recent`);
  const acknowledged = await db.execute<{ updates: number; recipients: number; acknowledged: number }>(sql`
    with latest as (
      select distinct on (u.program_id) u.id from program_updates u
      where u.published_at < ${end} ${selection.programId ? sql`and u.program_id = ${selection.programId}::uuid` : sql``}
      order by u.program_id, u.published_at desc, u.id desc
    )
    select (select count(*)::int from latest) as updates, count(r.update_id)::int as recipients,
      count(*) filter (where r.acknowledged_at < ${end})::int as acknowledged
    from program_update_recipients r join latest on latest.id = r.update_id
    where ${selection.readable(sql`r.partner_id`)}`);
  const counts = active.rows[0]!;
  const acks = acknowledged.rows[0]!;
  return {
    activePartners: counts.active,
    activeLast30Days: counts.recent,
    rate: rate(counts.recent, counts.active),
    acknowledgment: { ...acks, rate: rate(acks.acknowledged, acks.recipients) },
  };
}

/** Time from application (sign-up) to first sale, for the partners whose first sale fell in the range. */
export interface FirstConversion {
  partners: number;
  /** The lower median, whole seconds; null when no partner converted for the first time in the range. */
  medianSeconds: number | null;
}

export async function firstConversion(db: Executor, selection: Selection, sources: AnalyticsSources, range: DayRange): Promise<FirstConversion> {
  // The activity rows carry the partner's current program and sign-up time: one range of their index per program.
  const inProgram = selection.programId ? sql`a.program_id = ${selection.programId}::uuid` : sql`true`;
  const result = await db.execute<{ partners: number; median_seconds: number | null }>(sql`
    select count(*)::int as partners,
      percentile_disc(0.5) within group (order by floor(extract(epoch from a.first_sale_at - a.partner_created_at))::bigint)
        as median_seconds
    from ${sources.activity()} a
    where ${inProgram} and ${selection.readable(sql`a.partner_id`)}
      and a.first_sale_at >= ${dayStart(range.from)} and a.first_sale_at < ${dayStart(range.to)}`);
  const row = result.rows[0]!;
  return { partners: row.partners, medianSeconds: row.median_seconds };
}
