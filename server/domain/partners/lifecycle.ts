import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import {
  enrollments,
  partnerHolds,
  partnerPayoutDetails,
  partners,
  partnerStatusHistory,
  type PartnerStatus,
  type ReasonCode,
} from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Action } from '../../auth/abilities.js';
import { AppError } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { authorizePartner, partnerSubject, type Caller } from './access.js';
import { announceStatusChange } from './announce.js';
import { payoutFingerprint } from './payout.js';
import {
  activationMissing,
  agreementMissing,
  agreementState,
  currentConfiguration,
  holdsMissing,
  loadProgram,
  openHolds,
  preconditionFailed,
  programMissing,
  tierNames,
  type Missing,
} from './prerequisites.js';
import type {
  CompleteSetupInput,
  EnrollInput,
  OnboardingStepInput,
  StatusChangeInput,
  VerifyInput,
} from './schemas.js';
import { nextStatus, type LifecycleAction } from './status-machine.js';
import { loadPartner, type PartnerRow } from './view.js';

export interface StatusChange {
  partnerId: string;
  fromStatus: PartnerStatus;
  toStatus: PartnerStatus;
  reasonCode: ReasonCode | null;
  note: string | null;
  at: Date;
}

interface TransitionRequest {
  partnerId: string;
  reasonCode?: ReasonCode;
  note?: string;
}

type PartnerChanges = Partial<Pick<typeof partners.$inferInsert, 'programId' | 'tier'>>;

interface TransitionEffects {
  set?: PartnerChanges;
  /** Extra facts for the audit row (never PII). */
  audit?: Record<string, unknown>;
}

interface TransitionPlan {
  /** The CASL action the caller needs on this partner. */
  permission: Action;
  /** Request facts a rule may name besides the row's own fields (e.g. the suspension reason). */
  subjectExtras?: Record<string, unknown>;
  /** Why a refusal happened, when the role's rule depends on the request rather than the row. */
  explainRefusal?: (partner: PartnerRow) => string | undefined;
  /** Checks prerequisites and writes what the step brings, on the locked row, after the machine allowed it. */
  effects?: (tx: Executor, partner: PartnerRow) => Promise<TransitionEffects | void>;
}

/** The milestone column each status stamps; activation keeps the first time. */
const MILESTONES: Partial<Record<PartnerStatus, Partial<Record<'verifiedAt' | 'enrolledAt' | 'setupCompletedAt' | 'trainingCompletedAt' | 'activatedAt', SQL>>>> = {
  verified: { verifiedAt: sql`now()` },
  enrolled: { enrolledAt: sql`now()` },
  setup_complete: { setupCompletedAt: sql`now()` },
  trained: { trainingCompletedAt: sql`now()` },
  active: { activatedAt: sql`coalesce(${partners.activatedAt}, now())` },
};

/**
 * Every status change goes through here, in one transaction: lock the partner row (concurrent changes of one
 * partner queue up and each sees the status the previous one left), check the caller's right on the row, ask the
 * status machine, run the step's prerequisites and effects, then write the status, its history row, the audit
 * row and the announcements (webhook event, partner notice). Any refusal throws before a write, and a failure rolls
 * everything back.
 */
async function transition(
  db: Executor,
  caller: Caller,
  action: LifecycleAction,
  request: TransitionRequest,
  plan: TransitionPlan,
): Promise<StatusChange> {
  return db.transaction(async (tx) => {
    const partner = await loadPartner(tx, caller, request.partnerId, true);
    authorizePartner(caller, plan.permission, partner, plan.subjectExtras, () => plan.explainRefusal?.(partner));
    const toStatus = nextStatus(partner.status, action);
    const effects = (await plan.effects?.(tx, partner)) ?? {};
    await tx
      .update(partners)
      .set({ ...effects.set, ...MILESTONES[toStatus], status: toStatus, updatedAt: sql`now()` })
      .where(eq(partners.id, partner.id));
    const [history] = await tx
      .insert(partnerStatusHistory)
      .values({
        partnerId: partner.id,
        fromStatus: partner.status,
        toStatus,
        reasonCode: request.reasonCode ?? null,
        note: request.note ?? null,
        actorId: caller.actor.userId,
      })
      .returning({ id: partnerStatusHistory.id, at: partnerStatusHistory.at });
    await recordActivity(tx, caller.actor, {
      action: `partner.${action}`,
      entityType: 'partner',
      entityId: partner.id,
      before: { status: partner.status },
      after: { status: toStatus, reasonCode: request.reasonCode ?? null, note: request.note ?? null, ...effects.audit },
    });
    const change = {
      partnerId: partner.id,
      fromStatus: partner.status,
      toStatus,
      reasonCode: request.reasonCode ?? null,
      note: request.note ?? null,
      at: history!.at,
    };
    await announceStatusChange(tx, { ...change, action, historyId: history!.id });
    return change;
  });
}

function requireNothingMissing(what: string, missing: (Missing | null)[]) {
  const unmet = missing.filter((entry): entry is Missing => entry !== null);
  if (unmet.length > 0) throw preconditionFailed(what, unmet);
}

/** Approve (→ verified) or reject (→ rejected, final) an application. */
export function verifyPartner(db: Executor, caller: Caller, input: VerifyInput): Promise<StatusChange> {
  const action = input.decision === 'approve' ? 'verify' : 'reject';
  return transition(db, caller, action, input, { permission: 'verify' });
}

/**
 * Enrolls a verified partner in an active program at a tier (default: the program's first commission tier),
 * once they have accepted the current agreement; the enrollment records the accepted agreement version.
 */
export function enrollPartner(db: Executor, caller: Caller, input: EnrollInput): Promise<StatusChange> {
  return transition(db, caller, 'enroll', input, {
    permission: 'enroll',
    async effects(tx, partner) {
      const program = await loadProgram(tx, input.programId);
      const [configuration, agreement] = await Promise.all([
        currentConfiguration(tx, program.id),
        agreementState(tx, partner.id),
      ]);
      const tiers = tierNames(configuration?.configuration);
      if (input.tier !== undefined && !tiers.includes(input.tier)) {
        throw new AppError('BAD_REQUEST', `Invalid input: tier: ${input.tier} is not a tier of program ${program.id} (${tiers.join(', ')})`, {
          field: 'tier',
        });
      }
      requireNothingMissing(`enroll partner ${partner.id}`, [
        programMissing(program),
        configuration ? null : { requirement: 'program', message: `program ${program.id} has no configuration in force` },
        agreementMissing(agreement),
      ]);
      const tier = input.tier ?? tiers[0]!;
      await tx.insert(enrollments).values({
        partnerId: partner.id,
        programId: program.id,
        tier,
        agreementVersionId: agreement.acceptedVersionId!,
        enrolledBy: caller.actor.userId,
      });
      return {
        set: { programId: program.id, tier },
        audit: { programId: program.id, tier, agreementVersion: agreement.acceptedVersion, configurationVersion: configuration!.version },
      };
    },
  });
}

/** Records payout method and tax details (upserted, with the payout fingerprint) and completes setup. */
export function completeSetup(db: Executor, caller: Caller, input: CompleteSetupInput): Promise<StatusChange> {
  return transition(db, caller, 'completeSetup', input, {
    permission: 'onboard',
    async effects(tx, partner) {
      const values = {
        method: input.method,
        details: input.details as Record<string, string>,
        taxForm: input.taxForm,
        taxId: input.taxId ?? null,
        taxCountry: input.taxCountry,
        fingerprint: payoutFingerprint(input),
        updatedAt: sql`now()`,
      };
      await tx
        .insert(partnerPayoutDetails)
        .values({ partnerId: partner.id, ...values })
        .onConflictDoUpdate({ target: partnerPayoutDetails.partnerId, set: values });
      // Payout and tax details are PII: the audit row says which method and form, not the numbers.
      return { audit: { payoutMethod: input.method, taxForm: input.taxForm, taxCountry: input.taxCountry } };
    },
  });
}

export function completeTraining(db: Executor, caller: Caller, input: OnboardingStepInput): Promise<StatusChange> {
  return transition(db, caller, 'completeTraining', input, { permission: 'onboard' });
}

/** Activation needs the program's required documents (approved, unexpired), payout details and training. */
export function activatePartner(db: Executor, caller: Caller, input: OnboardingStepInput): Promise<StatusChange> {
  return transition(db, caller, 'activate', input, {
    permission: 'onboard',
    async effects(tx, partner) {
      requireNothingMissing(`activate partner ${partner.id}`, await activationMissing(tx, partner));
    },
  });
}

/**
 * Suspends an active partner. A compliance or fraud suspension also opens a hold (source 'suspension'), so the
 * partner cannot be reactivated until a compliance officer releases it.
 */
export function suspendPartner(db: Executor, caller: Caller, input: StatusChangeInput): Promise<StatusChange> {
  return transition(db, caller, 'suspend', input, {
    permission: 'suspend',
    subjectExtras: { suspensionReason: input.reasonCode },
    explainRefusal: (partner) =>
      caller.ability.can('suspend', partnerSubject(partner, { suspensionReason: 'compliance' }) as never)
        ? `with reason ${input.reasonCode}: your roles may suspend only with reason compliance`
        : undefined,
    async effects(tx, partner) {
      if (input.reasonCode !== 'compliance' && input.reasonCode !== 'fraud') return;
      const [hold] = await tx
        .insert(partnerHolds)
        .values({ partnerId: partner.id, kind: input.reasonCode, reason: input.note, source: 'suspension', createdBy: caller.actor.userId })
        .onConflictDoNothing()
        .returning({ id: partnerHolds.id });
      return { audit: { holdId: hold?.id ?? null } };
    },
  });
}

/** Back to active, unless a compliance or fraud hold is still open. */
export function reactivatePartner(db: Executor, caller: Caller, input: StatusChangeInput): Promise<StatusChange> {
  return transition(db, caller, 'reactivate', input, {
    permission: 'reactivate',
    async effects(tx, partner) {
      requireNothingMissing(`reactivate partner ${partner.id}`, holdsMissing(await openHolds(tx, partner.id)));
    },
  });
}

/** Final: ends the open enrollment; the ledger and history stay. */
export function terminatePartner(db: Executor, caller: Caller, input: StatusChangeInput): Promise<StatusChange> {
  return transition(db, caller, 'terminate', input, {
    permission: 'terminate',
    async effects(tx, partner) {
      await tx
        .update(enrollments)
        .set({ endedAt: sql`now()` })
        .where(and(eq(enrollments.partnerId, partner.id), isNull(enrollments.endedAt)));
    },
  });
}
