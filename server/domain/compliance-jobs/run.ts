import type { Database } from '../../../db/client.js';
import { systemActor } from '../jobs/system-actor.js';
import { inExclusiveTransaction } from '../partner-jobs/exclusive.js';
import { programsInForce } from '../partner-jobs/programs-in-force.js';
import { enforceAgreementGrace } from './agreement-grace.js';
import { remindExpiringDocuments } from './document-reminders.js';
import { holdLapsedDocuments, releaseRenewedDocumentHolds } from './expired-documents.js';

export const COMPLIANCE_JOB = 'compliance';
const LOCK = `affiliate-ops:job:${COMPLIANCE_JOB}`;

/**
 * The compliance job at `now`, in one transaction: expiry reminders, holds for lapsed required documents (and their
 * release once renewed), agreement reminders and suspensions after the grace periods. Every step is keyed so a
 * second run in the same period writes nothing; a run killed mid-way rolls back whole.
 */
export async function runComplianceChecks(db: Database, now: Date): Promise<Record<string, number>> {
  const actor = systemActor(COMPLIANCE_JOB);
  const { programs, unreadable } = await programsInForce(db, now);
  return inExclusiveTransaction(db, LOCK, async (tx) => {
    const expiryReminders = await remindExpiringDocuments(tx, programs, now);
    const holdsReleased = await releaseRenewedDocumentHolds(tx, actor, now);
    const lapsed = await holdLapsedDocuments(tx, actor, programs, now);
    const agreements = await enforceAgreementGrace(tx, actor, programs, now);
    return {
      expiryReminders,
      holdsPlaced: lapsed.held,
      holdNotices: lapsed.notified,
      holdsReleased,
      agreementReminders: agreements.remindersQueued,
      suspended: agreements.suspended,
      suspensionNotices: agreements.suspensionNotices,
      programsUnreadable: unreadable,
    };
  });
}
