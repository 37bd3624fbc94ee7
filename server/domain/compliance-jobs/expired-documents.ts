import { sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.js';
import type { DocumentKind } from '../../../db/schema/compliance.js';
import type { Actor } from '../../context.js';
import { recordActivity } from '../audit/record.js';
import { instant, utcDate } from '../partner-jobs/exclusive.js';
import { notifyPartners } from '../partner-jobs/notify.js';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';
import { hasValidDocumentSql, requiredDocumentsSql } from './required-documents.js';

/** The hold source for a lapsed document: one hold per expired document, ever. */
export const EXPIRED_DOCUMENT_SOURCE = 'document-expired:';

type HoldRow = {
  id: string;
  partner_id: string;
  kind: string;
  reason: string;
  source: string;
  created_by: string;
  /** timestamptz from raw SQL: the driver hands it over as text. */
  created_at: string;
  released_at: string | null;
  released_by: string | null;
};

const holdReturning = sql`returning h.id, h.partner_id, h.kind, h.reason, h.source, h.created_by, h.created_at, h.released_at, h.released_by`;

function holdAudit(row: HoldRow) {
  return {
    id: row.id,
    partnerId: row.partner_id,
    kind: row.kind,
    reason: row.reason,
    source: row.source,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    releasedAt: row.released_at === null ? null : new Date(row.released_at),
    releasedBy: row.released_by,
  };
}

/**
 * Places a compliance hold on payouts for every current partner whose required document lapsed: they had an
 * approved document of a kind their program requires, it expired, and no approved document of that kind is valid
 * today. The hold's source names the expired document, and no second hold is opened for a document that already
 * had one (even if a compliance officer released it), so each lapse holds and notifies once. Set-based, with the
 * audit rows `openHold` writes (`hold.place`).
 */
export async function holdLapsedDocuments(
  tx: Executor,
  actor: Actor,
  programs: ProgramInForce[],
  now: Date,
): Promise<{ held: number; notified: number }> {
  const today = utcDate(now);
  const result = await tx.execute<HoldRow & { document_kind: DocumentKind; expired_on: string }>(sql`
    with required as (${requiredDocumentsSql(programs)}),
    lapsed as (
      select distinct on (p.id, rq.kind) p.id as partner_id, rq.kind, d.id as document_id, d.expires_on
      from partners p
      join required rq on rq.program_id = p.program_id
      join compliance_documents d on d.partner_id = p.id and d.kind = rq.kind and d.status = 'approved' and d.expires_on < ${today}::date
      where p.status not in ('rejected', 'terminated') and p.erased_at is null
        and not ${hasValidDocumentSql(sql`p.id`, sql`rq.kind`, today)}
      order by p.id, rq.kind, d.expires_on desc, d.id
    ),
    opened as (
      insert into partner_holds as h (partner_id, kind, reason, source, created_by, created_at)
      select l.partner_id, 'compliance', 'Required document ' || l.kind || ' expired on ' || l.expires_on::text,
        ${EXPIRED_DOCUMENT_SOURCE} || l.document_id::text, ${actor.userId}, ${instant(now)}
      from lapsed l
      where not exists (
        select 1 from partner_holds x where x.partner_id = l.partner_id and x.source = ${EXPIRED_DOCUMENT_SOURCE} || l.document_id::text)
      order by l.partner_id, l.kind
      on conflict do nothing
      ${holdReturning}
    )
    select o.*, l.kind as document_kind, l.expires_on::text as expired_on
    from opened o join lapsed l on o.source = ${EXPIRED_DOCUMENT_SOURCE} || l.document_id::text`);
  const opened = result.rows;
  await recordActivity(
    tx,
    actor,
    opened.map((row) => ({ action: 'hold.place', entityType: 'partner_hold', entityId: row.id, after: holdAudit(row) })),
  );
  const notified = await notifyPartners(
    tx,
    'document_expired_hold',
    opened.map((row) => ({
      partnerId: row.partner_id,
      dedupeKey: row.source,
      variables: { documentKind: row.document_kind, expiredOn: row.expired_on },
    })),
  );
  return { held: opened.length, notified };
}

/**
 * Releases the holds `holdLapsedDocuments` placed once the partner holds an approved document of that kind valid
 * today again (a compliance officer approved the replacement). Holds from other sources are left to people.
 */
export async function releaseRenewedDocumentHolds(tx: Executor, actor: Actor, now: Date): Promise<number> {
  const today = utcDate(now);
  const result = await tx.execute<HoldRow>(sql`
    update partner_holds h set released_at = ${instant(now)}, released_by = ${actor.userId}
    from compliance_documents d
    where h.released_at is null and h.source like ${`${EXPIRED_DOCUMENT_SOURCE}%`}
      and d.id = case when h.source like ${`${EXPIRED_DOCUMENT_SOURCE}%`} then substr(h.source, ${EXPIRED_DOCUMENT_SOURCE.length + 1}::int)::uuid end
      and ${hasValidDocumentSql(sql`h.partner_id`, sql`d.kind`, today)}
    ${holdReturning}`);
  await recordActivity(
    tx,
    actor,
    result.rows.map((row) => ({
      action: 'hold.release',
      entityType: 'partner_hold',
      entityId: row.id,
      before: { ...holdAudit(row), releasedAt: null, releasedBy: null },
      after: { ...holdAudit(row), releaseReason: 'a current document of the same kind was approved' },
    })),
  );
  return result.rows.length;
}
