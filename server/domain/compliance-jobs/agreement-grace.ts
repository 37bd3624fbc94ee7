import { desc, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import { agreementVersions } from '../../../db/schema/agreements.js';
import type { PartnerStatus } from '../../../db/schema/partners.js';
import type { Actor } from '../../context.js';
import { acceptedCurrentAgreementSql, requiredVersionSql } from '../agreements/acceptances.js';
import { enqueueNotifications } from '../notifications/enqueue.js';
import { utcDate } from '../partner-jobs/exclusive.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { suspendForCompliance } from './suspend.js';

/** Partners an agreement binds: enrolled (enrollment records an acceptance) and not rejected or terminated. */
const BOUND_STATUSES: PartnerStatus[] = ['enrolled', 'setup_complete', 'trained', 'active', 'suspended'];

const DAY_MS = 86_400_000;

interface Terms {
  /** The version whose acceptance the current terms require (see `acceptedCurrentAgreementSql`). */
  requiredId: string;
  requiredVersion: number;
  publishedAt: Date;
  /** What a partner accepts now: the latest version. */
  title: string;
  latestVersion: number;
}

async function currentTerms(tx: Executor): Promise<Terms | null> {
  const [required] = await tx
    .select({ id: agreementVersions.id, version: agreementVersions.version, publishedAt: agreementVersions.publishedAt })
    .from(agreementVersions)
    .where(sql`${agreementVersions.version} = ${requiredVersionSql}`);
  const [latest] = await tx
    .select({ title: agreementVersions.title, version: agreementVersions.version })
    .from(agreementVersions)
    .orderBy(desc(agreementVersions.version))
    .limit(1);
  if (!required || !latest) return null;
  return {
    requiredId: required.id,
    requiredVersion: required.version,
    publishedAt: required.publishedAt,
    title: latest.title,
    latestVersion: latest.version,
  };
}

export interface AgreementGraceResult {
  remindersQueued: number;
  suspended: number;
  suspensionNotices: number;
}

/**
 * Two grace periods of `agreementGraceDays` each, counted from the publication of the version the current terms
 * require: when the first ends, partners of the program still bound by an older acceptance get one reminder (due
 * by the end of the second, when suspension applies); when the second ends and `suspendAfterAgreementGrace` is on,
 * active ones among them are suspended for compliance. Reminders are one per required version (dedupe key).
 */
export async function enforceAgreementGrace(tx: Executor, actor: Actor, programs: ProgramInForce[], now: Date): Promise<AgreementGraceResult> {
  const result: AgreementGraceResult = { remindersQueued: 0, suspended: 0, suspensionNotices: 0 };
  const terms = await currentTerms(tx);
  if (!terms) return result;
  for (const program of programs) {
    const { agreementGraceDays, suspendAfterAgreementGrace } = program.configuration.rules;
    const remindAt = new Date(terms.publishedAt.getTime() + agreementGraceDays * DAY_MS);
    const suspendAt = new Date(terms.publishedAt.getTime() + 2 * agreementGraceDays * DAY_MS);
    if (now < remindAt) continue;
    const notAccepted = (statuses: PartnerStatus[]) => sql`
      select p.id from partners p
      where p.program_id = ${program.id} and p.status = any(${sql.param(statuses)}::text[]) and p.erased_at is null
        and not ${acceptedCurrentAgreementSql(sql`p.id`)}`;
    const reminded = await enqueueNotifications(tx, {
      kind: 'agreement_reminder',
      audience: notAccepted(BOUND_STATUSES),
      dedupeKey: `agreement-version:${terms.requiredId}`,
      variables: { agreementTitle: terms.title, version: terms.latestVersion, dueBy: suspendAfterAgreementGrace ? suspendAt : null },
    });
    result.remindersQueued += reminded.enqueued;
    if (!suspendAfterAgreementGrace || now < suspendAt) continue;
    const note =
      `The partner agreement "${terms.title}" (version ${terms.requiredVersion}) was not accepted within ` +
      `${2 * agreementGraceDays} days of its publication on ${utcDate(terms.publishedAt)}.`;
    const suspension = await suspendForCompliance(tx, actor, notAccepted(['active']), note.slice(0, 2000), now);
    result.suspended += suspension.suspended.length;
    result.suspensionNotices += suspension.notified;
  }
  return result;
}
