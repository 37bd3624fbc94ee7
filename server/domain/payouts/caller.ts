import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';

/** Who calls a payouts mutation: the actor for the audit trail, the ability for the batch it returns. */
export interface PayoutCaller {
  actor: Actor;
  ability: AppAbility;
}
