import { eq, sql, type SQL } from 'drizzle-orm';
import { partners, type PartnerStatus } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Action } from '../../auth/abilities.js';
import { notFound } from '../../errors.js';
import { authorizePartner, canReadPii, partnerSubject, type Caller, type PartnerFacts } from './access.js';

/** Every profile column, PII included: select it only to hide PII per row (getPartner) or for a GDPR export. */
export const profileColumns = {
  id: partners.id,
  referralCode: partners.referralCode,
  status: partners.status,
  name: partners.name,
  email: partners.email,
  phone: partners.phone,
  company: partners.company,
  website: partners.website,
  country: partners.country,
  promotionalMethods: partners.promotionalMethods,
  programId: partners.programId,
  tier: partners.tier,
  parentId: partners.parentId,
  managerId: partners.managerId,
  verifiedAt: partners.verifiedAt,
  enrolledAt: partners.enrolledAt,
  setupCompletedAt: partners.setupCompletedAt,
  trainingCompletedAt: partners.trainingCompletedAt,
  activatedAt: partners.activatedAt,
  lastActivityAt: partners.lastActivityAt,
  erasedAt: partners.erasedAt,
  createdAt: partners.createdAt,
  updatedAt: partners.updatedAt,
};

/** A partner as callers see it, PII nulled in SQL where `piiVisible` is false for the row (`piiVisible` says which). */
export function partnerViewColumns(piiVisible: SQL) {
  const pii = (column: typeof partners.name | typeof partners.email | typeof partners.phone) =>
    sql<string | null>`case when ${piiVisible} then ${column} end`;
  return {
    ...profileColumns,
    name: pii(partners.name),
    email: pii(partners.email),
    phone: pii(partners.phone),
    piiVisible: sql<boolean>`coalesce(${piiVisible}, false)`,
  };
}

export interface PartnerView {
  id: string;
  referralCode: string;
  status: PartnerStatus;
  name: string | null;
  email: string | null;
  phone: string | null;
  piiVisible: boolean;
  company: string | null;
  website: string | null;
  country: string;
  promotionalMethods: string[];
  programId: string | null;
  tier: string | null;
  parentId: string | null;
  managerId: string | null;
  verifiedAt: Date | null;
  enrolledAt: Date | null;
  setupCompletedAt: Date | null;
  trainingCompletedAt: Date | null;
  activatedAt: Date | null;
  lastActivityAt: Date | null;
  erasedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The non-PII facts of a partner that authorization and the lifecycle work with. */
export const partnerFactsColumns = {
  id: partners.id,
  status: partners.status,
  managerId: partners.managerId,
  programId: partners.programId,
  parentId: partners.parentId,
  tier: partners.tier,
  trainingCompletedAt: partners.trainingCompletedAt,
  erasedAt: partners.erasedAt,
};
export interface PartnerRow extends PartnerFacts {
  status: PartnerStatus;
  tier: string | null;
  trainingCompletedAt: Date | null;
  erasedAt: Date | null;
}

/**
 * Loads a partner's facts, locked FOR UPDATE when `lock` is set, so concurrent changes of the same partner run one
 * after the other and each sees the status the previous one left. A partner the caller may not read is NOT_FOUND.
 */
export async function loadPartner(tx: Executor, caller: Caller, partnerId: string, lock: boolean): Promise<PartnerRow> {
  const query = tx.select(partnerFactsColumns).from(partners).where(eq(partners.id, partnerId));
  const [row] = lock ? await query.for('update') : await query;
  if (!row || !caller.ability.can('read', partnerSubject(row) as never)) throw notFound('Partner', partnerId);
  return row;
}

/** Loads (and locks) a partner and checks the caller may do `action` on it. */
export async function loadPartnerFor(tx: Executor, caller: Caller, action: Action, partnerId: string): Promise<PartnerRow> {
  const row = await loadPartner(tx, caller, partnerId, true);
  authorizePartner(caller, action, row);
  return row;
}

/** partners.get is the hottest read: a named prepared statement per connection, built once per database handle. */
const prepareGet = (db: Executor) =>
  db.select(profileColumns).from(partners).where(eq(partners.id, sql.placeholder('partnerId'))).prepare('partners_get');
const preparedGets = new WeakMap<Executor, ReturnType<typeof prepareGet>>();

/** partners.get: one partner, PII hidden unless the caller may read it on this row (the same rule list uses in SQL). */
export async function getPartner(db: Executor, caller: Caller, partnerId: string): Promise<PartnerView> {
  let query = preparedGets.get(db);
  if (!query) preparedGets.set(db, (query = prepareGet(db)));
  const [row] = await query.execute({ partnerId });
  if (!row || !caller.ability.can('read', partnerSubject(row) as never)) throw notFound('Partner', partnerId);
  return canReadPii(caller, row)
    ? { ...row, piiVisible: true }
    : { ...row, name: null, email: null, phone: null, piiVisible: false };
}
