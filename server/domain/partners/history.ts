import { asc, eq } from 'drizzle-orm';
import { partnerStatusHistory, partnerTierHistory } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Caller } from './access.js';
import { loadPartner } from './view.js';

const statusHistoryColumns = {
  id: partnerStatusHistory.id,
  fromStatus: partnerStatusHistory.fromStatus,
  toStatus: partnerStatusHistory.toStatus,
  reasonCode: partnerStatusHistory.reasonCode,
  note: partnerStatusHistory.note,
  actorId: partnerStatusHistory.actorId,
  at: partnerStatusHistory.at,
};

export const tierHistoryColumns = {
  id: partnerTierHistory.id,
  programId: partnerTierHistory.programId,
  fromTier: partnerTierHistory.fromTier,
  toTier: partnerTierHistory.toTier,
  reasonCode: partnerTierHistory.reasonCode,
  note: partnerTierHistory.note,
  actorId: partnerTierHistory.actorId,
  at: partnerTierHistory.at,
};

export function statusHistoryOf(db: Executor, partnerId: string) {
  return db.select(statusHistoryColumns).from(partnerStatusHistory).where(eq(partnerStatusHistory.partnerId, partnerId)).orderBy(asc(partnerStatusHistory.id));
}

export function tierHistoryOf(db: Executor, partnerId: string) {
  return db.select(tierHistoryColumns).from(partnerTierHistory).where(eq(partnerTierHistory.partnerId, partnerId)).orderBy(asc(partnerTierHistory.id));
}

/** partners.history: every status change of one partner, oldest first, with who, when and why. */
export async function partnerHistory(db: Executor, caller: Caller, partnerId: string) {
  await loadPartner(db, caller, partnerId, false);
  return statusHistoryOf(db, partnerId);
}
