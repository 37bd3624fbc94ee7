import { eq } from 'drizzle-orm';
import { partners, type PartnerStatus } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Caller } from './access.js';
import {
  activationMissing,
  agreementMissing,
  agreementState,
  currentConfiguration,
  holdsMissing,
  openHolds,
  requiredDocumentsMissing,
  type Missing,
} from './prerequisites.js';
import { isFinalStatus, nextOnboardingAction, type LifecycleAction } from './status-machine.js';
import { loadPartner, type PartnerRow } from './view.js';

/**
 * done: completed. blocking: not satisfied and required by the partner's next transition (or the partner is
 * rejected/terminated), so someone must act on it now. pending: not done yet, nothing in the way.
 */
export type StepState = 'done' | 'pending' | 'blocking';

export interface OnboardingStep {
  step: string;
  state: StepState;
  detail: string | null;
}

export interface OnboardingChecklist {
  partnerId: string;
  status: PartnerStatus;
  nextAction: LifecycleAction | null;
  steps: OnboardingStep[];
}

async function milestones(db: Executor, partnerId: string) {
  const [row] = await db
    .select({ verifiedAt: partners.verifiedAt, enrolledAt: partners.enrolledAt, setupCompletedAt: partners.setupCompletedAt, activatedAt: partners.activatedAt })
    .from(partners)
    .where(eq(partners.id, partnerId));
  return row!;
}

/** What the next transition still needs, by requirement; the same checks the transitions themselves run. */
async function unmetForNext(db: Executor, partner: PartnerRow, next: LifecycleAction | undefined, agreement: Missing | null) {
  switch (next) {
    case 'enroll':
      return agreement ? [agreement] : [];
    case 'activate':
      return activationMissing(db, partner);
    case 'reactivate':
      return holdsMissing(await openHolds(db, partner.id));
    default:
      return [];
  }
}

/** partners.onboarding: each step done, pending or blocking, and why. */
export async function onboardingChecklist(db: Executor, caller: Caller, partnerId: string): Promise<OnboardingChecklist> {
  const partner = await loadPartner(db, caller, partnerId, false);
  const next = nextOnboardingAction(partner.status);
  const [dates, agreement, configuration] = await Promise.all([
    milestones(db, partner.id),
    agreementState(db, partner.id).then(agreementMissing),
    partner.programId ? currentConfiguration(db, partner.programId) : null,
  ]);
  const requiredDocuments = configuration?.configuration.rules?.requiredDocuments ?? [];
  const [unmet, documentsMissing] = await Promise.all([
    unmetForNext(db, partner, next, agreement),
    requiredDocumentsMissing(db, partner.id, requiredDocuments),
  ]);
  const blocking = new Map(unmet.map((missing) => [missing.requirement, missing.message]));
  const holdMessages = unmet.filter((missing) => missing.requirement.startsWith('hold:')).map((missing) => missing.message);
  if (holdMessages.length > 0) blocking.set('holds', holdMessages.join('; '));
  const final = isFinalStatus(partner.status);
  const step = (name: string, done: boolean, whyNot: string): OnboardingStep => {
    if (done) return { step: name, state: 'done', detail: null };
    if (final) return { step: name, state: 'blocking', detail: `the partner is ${partner.status}` };
    const reason = blocking.get(name);
    return reason ? { step: name, state: 'blocking', detail: reason } : { step: name, state: 'pending', detail: whyNot };
  };

  const documentMessages = new Map(documentsMissing.map((missing) => [missing.requirement, missing.message]));
  const documentSteps = partner.programId
    ? requiredDocuments.map((kind) => {
        const requirement = `document:${kind}`;
        return step(requirement, !documentMessages.has(requirement), documentMessages.get(requirement) ?? '');
      })
    : [step('documents', false, 'the required documents are known once the partner is enrolled in a program')];

  return {
    partnerId: partner.id,
    status: partner.status,
    nextAction: next ?? null,
    steps: [
      step('verification', Boolean(dates.verifiedAt), 'the application awaits verification'),
      step('agreement', agreement === null, agreement?.message ?? ''),
      step('enrollment', Boolean(dates.enrolledAt), 'the partner is not enrolled in a program yet'),
      step('payout', Boolean(dates.setupCompletedAt), 'payout method and tax details are not provided yet'),
      step('training', Boolean(partner.trainingCompletedAt), 'training is not completed yet'),
      ...documentSteps,
      step('activation', Boolean(dates.activatedAt), 'the partner has not been activated yet'),
      ...(partner.status === 'suspended' ? [step('holds', holdMessages.length === 0, '')] : []),
    ],
  };
}
