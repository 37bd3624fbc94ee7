import { wakeEffectsRunner } from '../domain/referrals/effects-runner.js';
import { ingestReferrals } from '../domain/referrals/ingest.js';
import { listReferrals } from '../domain/referrals/list.js';
import { ingestInput, listReferralsInput } from '../domain/referrals/schemas.js';
import { ingestProcedure, procedureFor, router } from '../trpc.js';

export const referralsRouter = router({
  /** For internal services with an API key of scope `ingest`; a person's token is refused. */
  ingest: ingestProcedure
    .input(ingestInput)
    .mutation(async ({ ctx, input }) => {
      const result = await ingestReferrals(ctx.db, { actor: ctx.actor, apiKeyId: ctx.apiKey.id }, input);
      if (result.effectsQueued > 0) wakeEffectsRunner(ctx.db, ctx.log);
      return result;
    }),
  list: procedureFor('read', 'Referral')
    .input(listReferralsInput)
    .query(({ ctx, input }) => listReferrals(ctx.db, ctx.ability, input)),
});
