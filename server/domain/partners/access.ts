import { subject } from '@casl/ability';
import type { SQL } from 'drizzle-orm';
import { partners } from '../../../db/schema/partners.js';
import type { Action, AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError } from '../../errors.js';

/** Who calls a partners domain function: the tRPC context has this shape, so routers pass `ctx`. */
export interface Caller {
  actor: Actor;
  ability: AppAbility;
}

/** The fields authorization rules may name on a Partner (and on a Contact, which carries its partner's manager). */
export interface PartnerFacts {
  id: string;
  status: string;
  managerId: string | null;
  programId: string | null;
  parentId: string | null;
}

/** Partner fields the CASL rules may name, mapped to columns for list queries. */
export const partnerAbilityColumns = {
  id: partners.id,
  status: partners.status,
  managerId: partners.managerId,
  programId: partners.programId,
  parentId: partners.parentId,
};

export function partnerSubject(row: PartnerFacts, extra: Record<string, unknown> = {}) {
  return subject('Partner', { ...row, ...extra });
}

export function contactSubject(partner: PartnerFacts, contact: Record<string, unknown> = {}) {
  return subject('Contact', { ...contact, partnerId: partner.id, managerId: partner.managerId });
}

/**
 * FORBIDDEN unless the caller may do `action` on this partner (e.g. a partner manager on partners they manage).
 * `extra` adds request facts a rule may name, such as the suspension reason.
 */
export function authorizePartner(
  caller: Caller,
  action: Action,
  partner: PartnerFacts,
  extra: Record<string, unknown> = {},
  explain?: () => string | undefined,
) {
  if (caller.ability.can(action, partnerSubject(partner, extra) as never)) return;
  const ifManaged = partnerSubject({ ...partner, managerId: caller.actor.userId }, extra);
  throw forbiddenFor(caller, action, `partner ${partner.id}`, ifManaged, explain?.());
}

export function authorizeContact(caller: Caller, action: Action, partner: PartnerFacts) {
  if (caller.ability.can(action, contactSubject(partner) as never)) return;
  throw forbiddenFor(caller, action, `contacts of partner ${partner.id}`, contactSubject({ ...partner, managerId: caller.actor.userId }));
}

/** Says whether managing the partner would have been enough, so a partner manager knows why they were refused. */
function forbiddenFor(caller: Caller, action: Action, what: string, ifManaged: ReturnType<typeof subject>, explanation?: string) {
  const hint = explanation ? ` ${explanation}` : caller.ability.can(action, ifManaged as never) ? ' (only partners you manage)' : '';
  return new AppError('FORBIDDEN', `Forbidden: your roles (${caller.actor.roles.join(', ')}) may not ${action} ${what}${hint}`);
}

export function canReadPii(caller: Caller, partner: PartnerFacts): boolean {
  return caller.ability.can('read_pii', partnerSubject(partner) as never);
}

/** A SQL boolean: may the caller read this row's PII? Used to null PII columns in the select itself. */
export function piiVisibleSql(ability: AppAbility): SQL {
  return accessibleWhere(ability, 'read_pii', 'Partner', partnerAbilityColumns);
}

export function readableSql(ability: AppAbility): SQL {
  return accessibleWhere(ability, 'read', 'Partner', partnerAbilityColumns);
}
