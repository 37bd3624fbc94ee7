import { agreementStatus, recordAcceptance } from '../domain/agreements/acceptances.js';
import { currentAgreement, listAgreementVersions, publishAgreement } from '../domain/agreements/agreements.js';
import {
  agreementStatusInput,
  listAgreementVersionsInput,
  publishAgreementInput,
  recordAcceptanceInput,
} from '../domain/agreements/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const agreementsRouter = router({
  publish: procedureFor('publish', 'Agreement')
    .input(publishAgreementInput)
    .mutation(({ ctx, input }) => publishAgreement(ctx.db, ctx.actor, input)),
  /** The current terms, or null before any were published. */
  current: procedureFor('read', 'Agreement').query(({ ctx }) => currentAgreement(ctx.db)),
  versions: procedureFor('read', 'Agreement')
    .input(listAgreementVersionsInput)
    .query(({ ctx, input }) => listAgreementVersions(ctx.db, input)),
  /** On the partner's behalf: needs the right to update that partner (a partner manager: their own partners). */
  recordAcceptance: procedureFor('update', 'Partner')
    .input(recordAcceptanceInput)
    .mutation(({ ctx, input }) => recordAcceptance(ctx.db, ctx, input)),
  /** Partners the caller may read who have not accepted the current terms, with counts. */
  status: procedureFor('read', 'Partner')
    .input(agreementStatusInput)
    .query(({ ctx, input }) => agreementStatus(ctx.db, ctx.ability, input)),
});
