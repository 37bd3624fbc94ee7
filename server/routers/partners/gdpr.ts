import { erasePartner, exportPartnerData } from '../../domain/partners/gdpr.js';
import { eraseInput, partnerRef } from '../../domain/partners/schemas.js';
import { procedureFor } from '../../trpc.js';

/** Procedures of `partners.*`, merged in ./index.ts: GDPR access and erasure requests. */
export const gdprProcedures = {
  /** A mutation because taking a copy of someone's personal data is itself recorded in the audit trail. */
  exportData: procedureFor('export', 'Partner')
    .input(partnerRef)
    .mutation(({ ctx, input }) => exportPartnerData(ctx.db, ctx, input.partnerId)),
  erase: procedureFor('erase', 'Partner')
    .input(eraseInput)
    .mutation(({ ctx, input }) => erasePartner(ctx.db, ctx, input)),
};
