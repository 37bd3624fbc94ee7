import { verifyActivityChain } from '../domain/audit/chain.js';
import { listActivity, listActivityInput } from '../domain/audit/list.js';
import { procedureFor, router } from '../trpc.js';

export const auditRouter = router({
  list: procedureFor('read', 'Activity')
    .input(listActivityInput)
    .query(({ ctx, input }) => listActivity(ctx.db, input)),
  /** Recomputes the hash chain; `firstBroken` names the first link that an edit behind the service's back broke. */
  verify: procedureFor('read', 'Activity').query(({ ctx }) => verifyActivityChain(ctx.db)),
});
