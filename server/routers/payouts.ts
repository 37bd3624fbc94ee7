import { approvePayoutBatch } from '../domain/payouts/approve.js';
import { cancelPayouts } from '../domain/payouts/cancel.js';
import { createPayoutBatch } from '../domain/payouts/create-batch.js';
import { getPayoutBatch, listPayoutBatches } from '../domain/payouts/read.js';
import { retryPayouts } from '../domain/payouts/retry.js';
import { batchRef, cancelInput, createBatchInput, listBatchesInput, retryInput } from '../domain/payouts/schemas.js';
import { submitPayoutBatch } from '../domain/payouts/submit.js';
import { paymentProcessor } from '../payments/index.js';
import { procedureFor, router } from '../trpc.js';

/** Payout batches: Affiliate Admins run them (approval by a second admin); Compliance Officers read them. */
export const payoutsRouter = router({
  list: procedureFor('read', 'Payout')
    .input(listBatchesInput)
    .query(({ ctx, input }) => listPayoutBatches(ctx.db, ctx.ability, input)),
  get: procedureFor('read', 'Payout')
    .input(batchRef)
    .query(({ ctx, input }) => getPayoutBatch(ctx.db, ctx.ability, input.batchId)),
  createBatch: procedureFor('create', 'Payout')
    .input(createBatchInput)
    .mutation(({ ctx, input }) => createPayoutBatch(ctx.db, ctx, input)),
  approve: procedureFor('approve', 'Payout')
    .input(batchRef)
    .mutation(({ ctx, input }) => approvePayoutBatch(ctx.db, ctx, input)),
  submit: procedureFor('update', 'Payout')
    .input(batchRef)
    .mutation(async ({ ctx, input }) => submitPayoutBatch(ctx.db, await paymentProcessor(), ctx, input)),
  retry: procedureFor('update', 'Payout')
    .input(retryInput)
    .mutation(async ({ ctx, input }) => retryPayouts(ctx.db, await paymentProcessor(), ctx, input)),
  cancel: procedureFor('update', 'Payout')
    .input(cancelInput)
    .mutation(({ ctx, input }) => cancelPayouts(ctx.db, ctx, input)),
});
