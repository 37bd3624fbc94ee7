import { and, asc, eq, sql } from 'drizzle-orm';
import { activity } from '../../../db/schema/activity.js';
import { agreementAcceptances, agreementVersions } from '../../../db/schema/agreements.js';
import { complianceDocuments } from '../../../db/schema/compliance.js';
import {
  accounts,
  contacts,
  enrollments,
  partnerAccounts,
  partnerHolds,
  partnerPayoutDetails,
  partners,
} from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { documentColumns } from '../compliance/documents.js';
import { holdColumns } from '../compliance/holds.js';
import { authorizePartner, type Caller } from './access.js';
import { notificationsOf, redactCorrespondence, ticketsOf } from './correspondence.js';
import { statusHistoryOf, tierHistoryOf } from './history.js';
import type { EraseInput } from './schemas.js';
import { isFinalStatus } from './status-machine.js';
import { loadPartner, profileColumns } from './view.js';

/** What an erased partner's name and email become: unique (the email index is unique) and plainly not a person. */
export const ERASED_NAME = 'Erased partner';
export const erasedEmail = (partnerId: string) => `erased-${partnerId}@erased.invalid`;

function profile(db: Executor, partnerId: string) {
  return db.select(profileColumns).from(partners).where(eq(partners.id, partnerId));
}

function sections(db: Executor, partnerId: string) {
  return {
    contacts: db
      .select({
        id: contacts.id,
        role: contacts.role,
        name: contacts.name,
        email: contacts.email,
        phone: contacts.phone,
        address: contacts.address,
        createdAt: contacts.createdAt,
        updatedAt: contacts.updatedAt,
      })
      .from(contacts)
      .where(eq(contacts.partnerId, partnerId))
      .orderBy(asc(contacts.createdAt), asc(contacts.id)),
    payoutDetails: db
      .select({
        method: partnerPayoutDetails.method,
        details: partnerPayoutDetails.details,
        taxForm: partnerPayoutDetails.taxForm,
        taxId: partnerPayoutDetails.taxId,
        taxCountry: partnerPayoutDetails.taxCountry,
        updatedAt: partnerPayoutDetails.updatedAt,
      })
      .from(partnerPayoutDetails)
      .where(eq(partnerPayoutDetails.partnerId, partnerId)),
    statusHistory: statusHistoryOf(db, partnerId),
    tierHistory: tierHistoryOf(db, partnerId),
    enrollments: db
      .select({
        id: enrollments.id,
        programId: enrollments.programId,
        tier: enrollments.tier,
        agreementVersionId: enrollments.agreementVersionId,
        enrolledBy: enrollments.enrolledBy,
        enrolledAt: enrollments.enrolledAt,
        endedAt: enrollments.endedAt,
      })
      .from(enrollments)
      .where(eq(enrollments.partnerId, partnerId))
      .orderBy(asc(enrollments.enrolledAt)),
    documents: db
      .select(documentColumns)
      .from(complianceDocuments)
      .where(eq(complianceDocuments.partnerId, partnerId))
      .orderBy(asc(complianceDocuments.submittedAt)),
    agreementAcceptances: db
      .select({
        id: agreementAcceptances.id,
        agreementVersion: agreementVersions.version,
        agreementTitle: agreementVersions.title,
        acceptedAt: agreementAcceptances.acceptedAt,
        ipAddress: agreementAcceptances.ipAddress,
        userAgent: agreementAcceptances.userAgent,
        recordedBy: agreementAcceptances.recordedBy,
        recordedAt: agreementAcceptances.recordedAt,
      })
      .from(agreementAcceptances)
      .innerJoin(agreementVersions, eq(agreementVersions.id, agreementAcceptances.agreementVersionId))
      .where(eq(agreementAcceptances.partnerId, partnerId))
      .orderBy(asc(agreementVersions.version)),
    accountLinks: db
      .select({
        id: partnerAccounts.id,
        accountId: partnerAccounts.accountId,
        accountName: accounts.name,
        role: partnerAccounts.role,
        linkedAt: partnerAccounts.linkedAt,
        linkedBy: partnerAccounts.linkedBy,
        endedAt: partnerAccounts.endedAt,
        endedBy: partnerAccounts.endedBy,
      })
      .from(partnerAccounts)
      .innerJoin(accounts, eq(accounts.id, partnerAccounts.accountId))
      .where(eq(partnerAccounts.partnerId, partnerId))
      .orderBy(asc(partnerAccounts.linkedAt)),
    holds: db
      .select(holdColumns)
      .from(partnerHolds)
      .where(eq(partnerHolds.partnerId, partnerId))
      .orderBy(asc(partnerHolds.createdAt)),
    tickets: ticketsOf(db, partnerId),
    notifications: notificationsOf(db, partnerId),
    auditTrail: db
      .select({
        id: activity.id,
        at: activity.at,
        actorId: activity.actorId,
        actorRoles: activity.actorRoles,
        action: activity.action,
        before: activity.before,
        after: activity.after,
      })
      .from(activity)
      .where(and(eq(activity.entityType, 'partner'), eq(activity.entityId, partnerId)))
      .orderBy(asc(activity.id)),
  };
}

type Sections = ReturnType<typeof sections>;
export type PartnerExport = {
  exportedAt: Date;
  partner: Awaited<ReturnType<typeof profile>>[number];
  payoutDetails: Awaited<Sections['payoutDetails']>[number] | null;
} & { [K in Exclude<keyof Sections, 'payoutDetails'>]: Awaited<Sections[K]> };

/**
 * partners.exportData: everything held about one partner, read in one snapshot. The export itself is audited
 * (who took a copy of whose personal data).
 */
export async function exportPartnerData(db: Executor, caller: Caller, partnerId: string): Promise<PartnerExport> {
  return db.transaction(
    async (tx) => {
      const partner = await loadPartner(tx, caller, partnerId, false);
      authorizePartner(caller, 'export', partner);
      const queries = sections(tx, partnerId);
      const names = Object.keys(queries) as (keyof Sections)[];
      const [[row], ...results] = await Promise.all([profile(tx, partnerId), ...names.map((name) => queries[name])]);
      const data = Object.fromEntries(names.map((name, index) => [name, results[index]])) as {
        [K in keyof Sections]: Awaited<Sections[K]>;
      };
      await recordActivity(tx, caller.actor, { action: 'partner.export', entityType: 'partner', entityId: partnerId, after: { sections: names } });
      return { exportedAt: new Date(), partner: row!, ...data, payoutDetails: data.payoutDetails[0] ?? null };
    },
    { isolationLevel: 'repeatable read' },
  );
}

export interface ErasureResult {
  partnerId: string;
  erasedAt: Date;
  /** True when the partner had been erased before: erasure is idempotent and this call changed nothing. */
  alreadyErased: boolean;
}

/**
 * partners.erase: removes the partner's personal data — name, email, phone, company and website in the profile,
 * all contacts, the payout and tax details, the IP address and user agent of agreement acceptances, the free text
 * of its tickets (subjects, its own messages) and of the notifications sent to it — and keeps the facts: status and
 * tier history, enrollments, documents' review records, commissions, the rows and times of tickets and
 * notifications, and the audit trail (which never holds PII in clear). Only a rejected or terminated partner can be
 * erased; a second call is a no-op.
 */
export async function erasePartner(db: Executor, caller: Caller, input: EraseInput): Promise<ErasureResult> {
  return db.transaction(async (tx) => {
    const partner = await loadPartner(tx, caller, input.partnerId, true);
    authorizePartner(caller, 'erase', partner);
    if (partner.erasedAt) return { partnerId: partner.id, erasedAt: partner.erasedAt, alreadyErased: true };
    if (!isFinalStatus(partner.status)) {
      throw new AppError(
        'PRECONDITION_FAILED',
        `Cannot erase partner ${partner.id}: it is ${partner.status}; terminate it first (only rejected or terminated partners are erased)`,
        { missing: [{ requirement: 'status', message: 'the partner must be rejected or terminated' }] },
      );
    }
    const [erased] = await tx
      .update(partners)
      .set({
        name: ERASED_NAME,
        email: erasedEmail(partner.id),
        phone: null,
        company: null,
        website: null,
        erasedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(partners.id, partner.id))
      .returning({ erasedAt: partners.erasedAt });
    const removedContacts = await tx.delete(contacts).where(eq(contacts.partnerId, partner.id)).returning({ id: contacts.id });
    const removedPayout = await tx
      .delete(partnerPayoutDetails)
      .where(eq(partnerPayoutDetails.partnerId, partner.id))
      .returning({ partnerId: partnerPayoutDetails.partnerId });
    const anonymisedAcceptances = await tx
      .update(agreementAcceptances)
      .set({ ipAddress: null, userAgent: null })
      .where(eq(agreementAcceptances.partnerId, partner.id))
      .returning({ id: agreementAcceptances.id });
    const correspondence = await redactCorrespondence(tx, partner.id);
    await recordActivity(tx, caller.actor, {
      action: 'partner.erase',
      entityType: 'partner',
      entityId: partner.id,
      after: {
        erased: true,
        contactsRemoved: removedContacts.length,
        payoutDetailsRemoved: removedPayout.length,
        acceptancesAnonymised: anonymisedAcceptances.length,
        ...correspondence,
        note: input.note ?? null,
      },
    });
    return { partnerId: partner.id, erasedAt: erased!.erasedAt!, alreadyErased: false };
  });
}
