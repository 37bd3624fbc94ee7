import { partnerHistory } from '../../domain/partners/history.js';
import { listPartners } from '../../domain/partners/list.js';
import { onboardingChecklist } from '../../domain/partners/onboarding.js';
import { updatePartner } from '../../domain/partners/profile.js';
import { listPartnersInput, partnerRef, updatePartnerInput } from '../../domain/partners/schemas.js';
import { getPartner } from '../../domain/partners/view.js';
import { procedureFor } from '../../trpc.js';

/** Procedures of `partners.*`, merged in ./index.ts: reading partners and editing their profile. */
export const profileProcedures = {
  list: procedureFor('read', 'Partner')
    .input(listPartnersInput)
    .query(({ ctx, input }) => listPartners(ctx.db, ctx.ability, input)),
  get: procedureFor('read', 'Partner')
    .input(partnerRef)
    .query(({ ctx, input }) => getPartner(ctx.db, ctx, input.partnerId)),
  update: procedureFor('update', 'Partner')
    .input(updatePartnerInput)
    .mutation(({ ctx, input }) => updatePartner(ctx.db, ctx, input)),
  history: procedureFor('read', 'Partner')
    .input(partnerRef)
    .query(({ ctx, input }) => partnerHistory(ctx.db, ctx, input.partnerId)),
  onboarding: procedureFor('read', 'Partner')
    .input(partnerRef)
    .query(({ ctx, input }) => onboardingChecklist(ctx.db, ctx, input.partnerId)),
};
