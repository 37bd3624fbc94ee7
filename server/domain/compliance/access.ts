import { subject } from '@casl/ability';
import type { Action, SubjectType } from '../../auth/abilities.js';
import { AppError } from '../../errors.js';
import type { Caller } from '../partners/access.js';

interface PartnerOwner {
  id: string;
  managerId: string | null;
}

/**
 * FORBIDDEN unless the caller may do `action` on a `subjectType` row belonging to this partner. Rules may name
 * `partnerId` and `managerId` (the partner's manager), e.g. a partner manager submits documents only for their own.
 */
export function authorizeForPartner(caller: Caller, action: Action, subjectType: SubjectType, partner: PartnerOwner) {
  const row = (managerId: string | null) => subject(subjectType, { partnerId: partner.id, managerId });
  if (caller.ability.can(action, row(partner.managerId) as never)) return;
  const hint = caller.ability.can(action, row(caller.actor.userId) as never) ? ' (only partners you manage)' : '';
  throw new AppError(
    'FORBIDDEN',
    `Forbidden: your roles (${caller.actor.roles.join(', ')}) may not ${action} ${subjectType} for partner ${partner.id}${hint}`,
  );
}
