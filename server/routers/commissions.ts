import { approveCommissions } from '../domain/commissions/approve.js';
import { commissionBalance } from '../domain/commissions/balance.js';
import { listCommissions } from '../domain/commissions/list.js';
import { approveCommissionsInput, balanceInput, listCommissionsInput } from '../domain/commissions/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const commissionsRouter = router({
  list: procedureFor('read', 'Commission')
    .input(listCommissionsInput)
    .query(({ ctx, input }) => listCommissions(ctx.db, ctx.ability, input)),
  balance: procedureFor('read', 'Commission')
    .input(balanceInput)
    .query(({ ctx, input }) => commissionBalance(ctx.db, ctx.ability, input)),
  approve: procedureFor('approve', 'Commission')
    .input(approveCommissionsInput)
    .mutation(({ ctx, input }) => approveCommissions(ctx.db, ctx.actor, input)),
});
