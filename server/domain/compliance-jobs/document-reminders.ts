import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { DocumentKind } from '../../../db/schema/compliance.js';
import { utcDate } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { requiredDocumentsSql } from './required-documents.js';

/** Days before expiry at which a reminder goes out: one per stage, the first 30 days ahead, the last 7. */
export const EXPIRY_REMINDER_DAYS = [30, 7] as const;

/** The stage a document expiring in `daysLeft` days is in: the nearest reminder day not before it. */
export function reminderStage(daysLeft: number): number {
  return Math.min(...EXPIRY_REMINDER_DAYS.filter((stage) => stage >= daysLeft));
}

/**
 * Reminds partners whose required document (by their program's configuration) expires within 30 days and who have
 * not yet sent a replacement (a pending document, or an approved one valid longer). One reminder per document and
 * stage: the dedupe key names both, so hourly runs within a stage send nothing new.
 */
export async function remindExpiringDocuments(tx: Executor, programs: ProgramInForce[], now: Date): Promise<number> {
  const today = utcDate(now);
  const horizon = Math.max(...EXPIRY_REMINDER_DAYS);
  const expiring = await tx.execute<{ id: string; partner_id: string; kind: DocumentKind; expires_on: string; days_left: number }>(sql`
    with required as (${requiredDocumentsSql(programs)})
    select d.id, d.partner_id, d.kind, d.expires_on::text as expires_on, d.expires_on - ${today}::date as days_left
    from compliance_documents d
    join partners p on p.id = d.partner_id
    join required rq on rq.program_id = p.program_id and rq.kind = d.kind
    where d.status = 'approved' and d.expires_on between ${today}::date and ${today}::date + ${horizon}::int
      and p.status not in ('rejected', 'terminated') and p.erased_at is null
      and not exists (
        select 1 from compliance_documents n
        where n.partner_id = d.partner_id and n.kind = d.kind and n.id <> d.id
          and (n.status = 'pending' or (n.status = 'approved' and (n.expires_on is null or n.expires_on > d.expires_on))))`);
  return notifyPartners(
    tx,
    'document_expiring',
    expiring.rows.map((document) => ({
      partnerId: document.partner_id,
      dedupeKey: `document:${document.id}:${reminderStage(document.days_left)}d`,
      variables: { documentKind: document.kind, expiresOn: document.expires_on, daysLeft: document.days_left },
    })),
  );
}
