import { and, desc, eq, gte, lte } from 'drizzle-orm';
import { complianceDocuments } from '../../../db/schema/compliance.js';
import { partners } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError, illegalTransition, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import type { Caller } from '../partners/access.js';
import { toPage } from '../shared/pagination.js';
import { authorizeForPartner } from './access.js';
import { afterCursorRow } from '../shared/keyset.js';
import { lockPartnerFacts } from './partner-row.js';
import { todayUtc, type ListDocumentsInput, type ReviewDocumentInput, type SubmitDocumentInput } from './schemas.js';

export const documentColumns = {
  id: complianceDocuments.id,
  partnerId: complianceDocuments.partnerId,
  kind: complianceDocuments.kind,
  reference: complianceDocuments.reference,
  checksum: complianceDocuments.checksum,
  issuedOn: complianceDocuments.issuedOn,
  expiresOn: complianceDocuments.expiresOn,
  status: complianceDocuments.status,
  reviewReason: complianceDocuments.reviewReason,
  reviewedBy: complianceDocuments.reviewedBy,
  reviewedAt: complianceDocuments.reviewedAt,
  submittedBy: complianceDocuments.submittedBy,
  submittedAt: complianceDocuments.submittedAt,
};

/** Document fields the CASL rules may name; `managerId` is the document's partner's manager. */
const documentAbilityColumns = {
  partnerId: complianceDocuments.partnerId,
  managerId: partners.managerId,
  kind: complianceDocuments.kind,
  status: complianceDocuments.status,
};

/** A new document waits for review. The same file submitted again while the first still waits is a CONFLICT. */
export async function submitDocument(db: Database, caller: Caller, input: SubmitDocumentInput) {
  return db.transaction(async (tx) => {
    const partner = await lockPartnerFacts(tx, input.partnerId);
    authorizeForPartner(caller, 'create', 'Document', partner);
    if (partner.erasedAt) {
      throw new AppError('CONFLICT', `Partner ${partner.id} was erased; it cannot submit documents`, {
        current: 'erased',
        requested: 'document submitted',
      });
    }
    const [document] = await tx
      .insert(complianceDocuments)
      .values({ ...input, submittedBy: caller.actor.userId })
      .onConflictDoNothing()
      .returning(documentColumns);
    if (!document) {
      const [pending] = await tx
        .select({ id: complianceDocuments.id })
        .from(complianceDocuments)
        .where(
          and(
            eq(complianceDocuments.partnerId, input.partnerId),
            eq(complianceDocuments.kind, input.kind),
            eq(complianceDocuments.checksum, input.checksum),
            eq(complianceDocuments.status, 'pending'),
          ),
        );
      throw new AppError('CONFLICT', `The same ${input.kind} document is already waiting for review (${pending?.id})`, {
        documentId: pending?.id,
      });
    }
    await recordActivity(tx, caller.actor, { action: 'document.submit', entityType: 'compliance_document', entityId: document.id, after: document });
    return document;
  });
}

/** Approves or rejects a pending document; a reviewed one cannot be reviewed again, an expired one not approved. */
export async function reviewDocument(db: Database, actor: Actor, input: ReviewDocumentInput) {
  const requested = input.decision === 'approve' ? 'approved' : 'rejected';
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select(documentColumns)
      .from(complianceDocuments)
      .where(eq(complianceDocuments.id, input.documentId))
      .for('update');
    if (!before) throw notFound('Document', input.documentId);
    if (before.status !== 'pending') throw illegalTransition('Document', before.status, requested);
    if (requested === 'approved' && before.expiresOn && before.expiresOn < todayUtc()) {
      throw new AppError('CONFLICT', `Document expired on ${before.expiresOn}; it cannot be approved`, {
        current: 'expired',
        requested,
      });
    }
    const [after] = await tx
      .update(complianceDocuments)
      .set({ status: requested, reviewReason: input.reason ?? null, reviewedBy: actor.userId, reviewedAt: new Date() })
      .where(eq(complianceDocuments.id, input.documentId))
      .returning(documentColumns);
    if (!after) throw notFound('Document', input.documentId);
    await recordActivity(tx, actor, { action: `document.${input.decision}`, entityType: 'compliance_document', entityId: after.id, before, after });
    return after;
  });
}

/** Newest first; the cursor is the last document's id. Narrowed to the documents the caller may read. */
export async function listDocuments(db: Executor, ability: AppAbility, input: ListDocumentsInput) {
  const today = todayUtc();
  const order = [complianceDocuments.submittedAt, complianceDocuments.id];
  const rows = await db
    .select(documentColumns)
    .from(complianceDocuments)
    .innerJoin(partners, eq(partners.id, complianceDocuments.partnerId))
    .where(
      and(
        accessibleWhere(ability, 'read', 'Document', documentAbilityColumns),
        input.partnerId ? eq(complianceDocuments.partnerId, input.partnerId) : undefined,
        input.kind ? eq(complianceDocuments.kind, input.kind) : undefined,
        input.status ? eq(complianceDocuments.status, input.status) : undefined,
        input.expiringWithinDays === undefined ? undefined : gte(complianceDocuments.expiresOn, today),
        input.expiringWithinDays === undefined ? undefined : lte(complianceDocuments.expiresOn, addDays(today, input.expiringWithinDays)),
        input.cursor ? afterCursorRow(complianceDocuments, complianceDocuments.id, order, 'desc', input.cursor) : undefined,
      ),
    )
    .orderBy(...order.map((key) => desc(key)))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

function addDays(date: string, days: number): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + days);
  return next.toISOString().slice(0, 10);
}
