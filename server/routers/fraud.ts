import { listFraudFlags } from '../domain/fraud/list.js';
import { reviewFraudFlag } from '../domain/fraud/review.js';
import { listFraudFlagsInput, reviewFraudFlagInput } from '../domain/fraud/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const fraudRouter = router({
  flags: procedureFor('read', 'FraudFlag')
    .input(listFraudFlagsInput)
    .query(({ ctx, input }) => listFraudFlags(ctx.db, ctx.ability, input)),
  review: procedureFor('review', 'FraudFlag')
    .input(reviewFraudFlagInput)
    .mutation(({ ctx, input }) => reviewFraudFlag(ctx.db, ctx.actor, input)),
});
