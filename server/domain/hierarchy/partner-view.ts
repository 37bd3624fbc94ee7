import { subject } from '@casl/ability';
import { eq, sql, type SQL } from 'drizzle-orm';
import { partners, type PartnerStatus } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Action, AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import { AppError, notFound } from '../../errors.js';

/** Every partner field an authorization rule may name. */
const partnerAbilityColumns = {
  id: partners.id,
  managerId: partners.managerId,
  parentId: partners.parentId,
  programId: partners.programId,
  status: partners.status,
};

/** Rows of partners the caller may `action`, as SQL. */
export function partnersAccessible(ability: AppAbility, action: Action): SQL {
  return accessibleWhere(ability, action, 'Partner', partnerAbilityColumns);
}

/**
 * Like `partnersAccessible`, but undefined when the caller may `action` every partner, so a query over the closure
 * table alone need not join partners just to apply a condition that is always true.
 */
export function partnersRestriction(ability: AppAbility, action: Action): SQL | undefined {
  const rules = ability.rulesFor(action, 'Partner');
  const unrestricted = rules.some((rule) => !rule.inverted && !rule.conditions) && !rules.some((rule) => rule.inverted);
  return unrestricted ? undefined : partnersAccessible(ability, action);
}

/**
 * The partner fields hierarchy and account views show. Name and email are PII: null unless the caller may
 * `read_pii` that very row, decided in SQL so a page of any size costs one query.
 */
export function partnerSummaryColumns(ability: AppAbility) {
  const pii = partnersAccessible(ability, 'read_pii');
  return {
    id: partners.id,
    referralCode: partners.referralCode,
    status: partners.status,
    tier: partners.tier,
    programId: partners.programId,
    parentId: partners.parentId,
    managerId: partners.managerId,
    name: sql<string | null>`case when ${pii} then ${partners.name} end`,
    email: sql<string | null>`case when ${pii} then ${partners.email} end`,
  };
}

export interface PartnerSummary {
  id: string;
  referralCode: string;
  status: PartnerStatus;
  tier: string | null;
  programId: string | null;
  parentId: string | null;
  managerId: string | null;
  name: string | null;
  email: string | null;
}

export interface LockedPartner {
  id: string;
  status: PartnerStatus;
  parentId: string | null;
  managerId: string | null;
  programId: string | null;
  referralCode: string;
}

/**
 * Loads a partner for a change, locking its row until the transaction ends, and checks the caller may `action`
 * this very partner (e.g. a Partner Manager only the partners they manage). `no key update` when the row itself
 * changes: unlike UPDATE it does not block inserts that merely reference the partner (a new recruit under it).
 * `share` when the row must only stay as checked (status, manager) while something else changes.
 */
export async function lockPartnerFor(
  tx: Executor,
  ability: AppAbility,
  action: Action,
  partnerId: string,
  strength: 'no key update' | 'share',
): Promise<LockedPartner> {
  const [row] = await tx
    .select({
      id: partners.id,
      status: partners.status,
      parentId: partners.parentId,
      managerId: partners.managerId,
      programId: partners.programId,
      referralCode: partners.referralCode,
    })
    .from(partners)
    .where(eq(partners.id, partnerId))
    .for(strength);
  if (!row) throw notFound('Partner', partnerId);
  const target: Record<string, unknown> = { ...row };
  if (!ability.can(action, subject('Partner', target))) {
    throw new AppError('FORBIDDEN', `Forbidden: you may not ${action} partner ${partnerId}; a Partner Manager changes only the partners they manage`, {
      partnerId,
    });
  }
  return row;
}

/** Final statuses: such a partner takes no new recruits and no new account links. */
export const CLOSED_PARTNER_STATUSES: readonly PartnerStatus[] = ['rejected', 'terminated'];
