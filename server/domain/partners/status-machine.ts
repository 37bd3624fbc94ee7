import { PARTNER_STATUSES, type PartnerStatus } from '../../../db/schema/partners.js';
import { illegalTransition } from '../../errors.js';

export const FINAL_STATUSES = ['rejected', 'terminated'] as const satisfies readonly PartnerStatus[];
const NON_FINAL_STATUSES = PARTNER_STATUSES.filter(
  (status): status is Exclude<PartnerStatus, (typeof FINAL_STATUSES)[number]> =>
    !(FINAL_STATUSES as readonly string[]).includes(status),
);

/**
 * The partner lifecycle, as data: each action, the statuses it may start from and the status it leads to.
 *
 *   applied → verified → enrolled → setup_complete → trained → active ⇄ suspended
 *   applied → rejected;  any non-final status → terminated
 */
export const TRANSITIONS = {
  verify: { from: ['applied'], to: 'verified' },
  reject: { from: ['applied'], to: 'rejected' },
  enroll: { from: ['verified'], to: 'enrolled' },
  completeSetup: { from: ['enrolled'], to: 'setup_complete' },
  completeTraining: { from: ['setup_complete'], to: 'trained' },
  activate: { from: ['trained'], to: 'active' },
  suspend: { from: ['active'], to: 'suspended' },
  reactivate: { from: ['suspended'], to: 'active' },
  terminate: { from: NON_FINAL_STATUSES, to: 'terminated' },
} as const satisfies Record<string, { from: readonly PartnerStatus[]; to: PartnerStatus }>;

export type LifecycleAction = keyof typeof TRANSITIONS;
export const LIFECYCLE_ACTIONS = Object.keys(TRANSITIONS) as LifecycleAction[];

export function isFinalStatus(status: PartnerStatus): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export function canTransition(current: PartnerStatus, action: LifecycleAction): boolean {
  return (TRANSITIONS[action].from as readonly PartnerStatus[]).includes(current);
}

/** The status `action` leads to from `current`, or CONFLICT naming both statuses. */
export function nextStatus(current: PartnerStatus, action: LifecycleAction): PartnerStatus {
  if (!canTransition(current, action)) throw illegalTransition('Partner', current, TRANSITIONS[action].to);
  return TRANSITIONS[action].to;
}

/** The onboarding action that moves a partner on from `status`, if there is one. */
export function nextOnboardingAction(status: PartnerStatus): LifecycleAction | undefined {
  const forward: LifecycleAction[] = ['verify', 'enroll', 'completeSetup', 'completeTraining', 'activate', 'reactivate'];
  return forward.find((action) => canTransition(status, action));
}
