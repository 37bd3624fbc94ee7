import { applyForPartnership } from '../../domain/partners/apply.js';
import {
  activatePartner,
  completeSetup,
  completeTraining,
  enrollPartner,
  reactivatePartner,
  suspendPartner,
  terminatePartner,
  verifyPartner,
} from '../../domain/partners/lifecycle.js';
import {
  applyInput,
  changeTierInput,
  completeSetupInput,
  enrollInput,
  onboardingStepInput,
  statusChangeInput,
  verifyInput,
} from '../../domain/partners/schemas.js';
import { changePartnerTier } from '../../domain/partners/tier.js';
import { procedureFor } from '../../trpc.js';

/**
 * Procedures of `partners.*`, merged in ./index.ts: the application and every status change of the lifecycle.
 * Row-dependent rights (a partner manager's own partners, a compliance officer's suspension reason) are checked
 * by the domain once the partner row is locked.
 */
export const lifecycleProcedures = {
  // The issue calls this `partners.apply`, but tRPC reserves `apply` (and `call`, `then`) as procedure names.
  submitApplication: procedureFor('create', 'Partner')
    .input(applyInput)
    .mutation(({ ctx, input }) => applyForPartnership(ctx.db, ctx, input)),
  verify: procedureFor('verify', 'Partner')
    .input(verifyInput)
    .mutation(({ ctx, input }) => verifyPartner(ctx.db, ctx, input)),
  enroll: procedureFor('enroll', 'Partner')
    .input(enrollInput)
    .mutation(({ ctx, input }) => enrollPartner(ctx.db, ctx, input)),
  completeSetup: procedureFor('onboard', 'Partner')
    .input(completeSetupInput)
    .mutation(({ ctx, input }) => completeSetup(ctx.db, ctx, input)),
  completeTraining: procedureFor('onboard', 'Partner')
    .input(onboardingStepInput)
    .mutation(({ ctx, input }) => completeTraining(ctx.db, ctx, input)),
  activate: procedureFor('onboard', 'Partner')
    .input(onboardingStepInput)
    .mutation(({ ctx, input }) => activatePartner(ctx.db, ctx, input)),
  suspend: procedureFor('suspend', 'Partner')
    .input(statusChangeInput)
    .mutation(({ ctx, input }) => suspendPartner(ctx.db, ctx, input)),
  reactivate: procedureFor('reactivate', 'Partner')
    .input(statusChangeInput)
    .mutation(({ ctx, input }) => reactivatePartner(ctx.db, ctx, input)),
  terminate: procedureFor('terminate', 'Partner')
    .input(statusChangeInput)
    .mutation(({ ctx, input }) => terminatePartner(ctx.db, ctx, input)),
  changeTier: procedureFor('enroll', 'Partner')
    .input(changeTierInput)
    .mutation(({ ctx, input }) => changePartnerTier(ctx.db, ctx, input)),
};
