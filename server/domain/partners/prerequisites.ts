import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { complianceDocuments, type DocumentKind } from '../../../db/schema/compliance.js';
import { partnerHolds, partnerPayoutDetails } from '../../../db/schema/partners.js';
import { programs } from '../../../db/schema/programs.js';
import type { Executor } from '../../../db/client.js';
import { AppError, notFound } from '../../errors.js';
import { acceptedCurrentAgreementSql } from '../agreements/acceptances.js';
import type { ProgramConfiguration } from '../programs/configuration.js';
import { configurationAt } from '../programs/versions.js';

/** One unmet prerequisite: which requirement, and a sentence a person can act on. */
export interface Missing {
  requirement: string;
  message: string;
}

export function preconditionFailed(what: string, missing: Missing[]): AppError {
  return new AppError('PRECONDITION_FAILED', `Cannot ${what}: ${missing.map((m) => m.message).join('; ')}`, { missing });
}

/** The configuration version in force now (see `configurationAt`): the program's current configuration. */
export function currentConfiguration(tx: Executor, programId: string) {
  return configurationAt(tx, programId, new Date());
}

/** The program, share-locked so it cannot be archived before the enrolling transaction commits. */
export async function loadProgram(tx: Executor, programId: string) {
  const [program] = await tx
    .select({ id: programs.id, name: programs.name, status: programs.status, archivedAt: programs.archivedAt })
    .from(programs)
    .where(eq(programs.id, programId))
    .for('share');
  if (!program) throw notFound('Program', programId);
  return program;
}

export function tierNames(configuration: ProgramConfiguration | undefined): string[] {
  return (configuration?.commissionTiers ?? []).map((tier) => tier.name);
}

export interface AgreementState {
  currentVersion: number | null;
  accepted: boolean;
  /** The newest version the partner accepted; when `accepted`, the acceptance that satisfies the current terms. */
  acceptedVersionId: string | null;
  acceptedVersion: number | null;
}

/** Whether the partner has accepted the current agreement, in the agreements area's one definition of it. */
export async function agreementState(tx: Executor, partnerId: string): Promise<AgreementState> {
  const result = await tx.execute<{
    current_version: number | null;
    accepted: boolean;
    accepted_version_id: string | null;
    accepted_version: number | null;
  }>(sql`
    select (select max(version) from agreement_versions) as current_version,
           ${acceptedCurrentAgreementSql(sql`${partnerId}::uuid`)} as accepted,
           newest.id as accepted_version_id, newest.version as accepted_version
    from (select 1) one
    left join lateral (
      select v.id, v.version
      from agreement_acceptances a join agreement_versions v on v.id = a.agreement_version_id
      where a.partner_id = ${partnerId}::uuid
      order by v.version desc
      limit 1
    ) newest on true`);
  const row = result.rows[0];
  return {
    currentVersion: row?.current_version ?? null,
    accepted: row?.accepted === true,
    acceptedVersionId: row?.accepted_version_id ?? null,
    acceptedVersion: row?.accepted_version ?? null,
  };
}

export function agreementMissing(state: AgreementState): Missing | null {
  if (state.currentVersion === null) {
    return { requirement: 'agreement', message: 'no partner agreement has been published yet' };
  }
  if (!state.accepted) {
    return { requirement: 'agreement', message: `the current agreement (version ${state.currentVersion}) has not been accepted` };
  }
  return null;
}

export function programMissing(program: { id: string; status: string; archivedAt: Date | null }): Missing | null {
  if (program.status === 'active' && !program.archivedAt) return null;
  return { requirement: 'program', message: `program ${program.id} is archived and takes no new enrollments` };
}

/** For each required document kind: satisfied, or why not (missing, awaiting review, rejected, expired). */
export async function requiredDocumentsMissing(tx: Executor, partnerId: string, kinds: readonly DocumentKind[]): Promise<Missing[]> {
  if (kinds.length === 0) return [];
  const documents = await tx
    .select({
      kind: complianceDocuments.kind,
      status: complianceDocuments.status,
      expiresOn: complianceDocuments.expiresOn,
      expired: sql<boolean>`coalesce(${complianceDocuments.expiresOn} < (now() at time zone 'utc')::date, false)`,
    })
    .from(complianceDocuments)
    .where(and(eq(complianceDocuments.partnerId, partnerId), inArray(complianceDocuments.kind, [...kinds])));
  return [...new Set(kinds)].flatMap((kind) => {
    const ofKind = documents.filter((document) => document.kind === kind);
    if (ofKind.some((document) => document.status === 'approved' && !document.expired)) return [];
    const expired = ofKind.find((document) => document.status === 'approved');
    const why = expired
      ? `expired on ${expired.expiresOn}`
      : ofKind.some((document) => document.status === 'pending')
        ? 'is awaiting review'
        : ofKind.length > 0
          ? 'was rejected'
          : 'is missing';
    return [{ requirement: `document:${kind}`, message: `required document ${kind} ${why}` }];
  });
}

export async function hasPayoutDetails(tx: Executor, partnerId: string): Promise<boolean> {
  const [row] = await tx
    .select({ partnerId: partnerPayoutDetails.partnerId })
    .from(partnerPayoutDetails)
    .where(eq(partnerPayoutDetails.partnerId, partnerId));
  return Boolean(row);
}

export interface ActivationFacts {
  id: string;
  programId: string | null;
  trainingCompletedAt: Date | null;
}

/** Activation needs every required document approved and unexpired, payout details and completed training. */
export async function activationMissing(tx: Executor, partner: ActivationFacts): Promise<Missing[]> {
  const configuration = partner.programId ? await currentConfiguration(tx, partner.programId) : null;
  const [documents, payout] = await Promise.all([
    requiredDocumentsMissing(tx, partner.id, configuration?.configuration.rules?.requiredDocuments ?? []),
    hasPayoutDetails(tx, partner.id),
  ]);
  return [
    ...(partner.programId ? [] : [{ requirement: 'program', message: 'the partner is not enrolled in a program' }]),
    ...documents,
    ...(payout ? [] : [{ requirement: 'payout', message: 'payout details are missing' }]),
    ...(partner.trainingCompletedAt ? [] : [{ requirement: 'training', message: 'training is not completed' }]),
  ];
}

export async function openHolds(tx: Executor, partnerId: string) {
  return tx
    .select({ id: partnerHolds.id, kind: partnerHolds.kind, reason: partnerHolds.reason, source: partnerHolds.source, createdAt: partnerHolds.createdAt })
    .from(partnerHolds)
    .where(and(eq(partnerHolds.partnerId, partnerId), isNull(partnerHolds.releasedAt)))
    .orderBy(partnerHolds.createdAt);
}

export function holdsMissing(holds: Awaited<ReturnType<typeof openHolds>>): Missing[] {
  return holds.map((hold) => ({
    requirement: `hold:${hold.id}`,
    message: `an open ${hold.kind} hold (${hold.reason}) must first be released by a compliance officer`,
  }));
}
