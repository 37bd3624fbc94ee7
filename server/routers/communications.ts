import { notifyPartners } from '../domain/communications/notify-partners.js';
import { notifyPartnersInput } from '../domain/communications/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const communicationsRouter = router({
  /** A partner manager reaches only the partners they manage; the count says how many the group held. */
  notifyPartners: procedureFor('notify', 'Partner')
    .input(notifyPartnersInput)
    .mutation(({ ctx, input }) => notifyPartners(ctx.db, ctx, input)),
});
