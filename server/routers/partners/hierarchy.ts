import { assignManager } from '../../domain/hierarchy/assign-manager.js';
import { downline, upline } from '../../domain/hierarchy/chains.js';
import { assignManagerInput, downlineInput, setParentInput, uplineInput } from '../../domain/hierarchy/schemas.js';
import { setParent } from '../../domain/hierarchy/set-parent.js';
import { procedureFor } from '../../trpc.js';

/** Procedures of `partners.*`, merged in ./index.ts. */
export const hierarchyProcedures = {
  setParent: procedureFor('update', 'Partner')
    .input(setParentInput)
    .mutation(({ ctx, input }) => setParent(ctx.db, ctx.actor, ctx.ability, input)),
  upline: procedureFor('read', 'Partner')
    .input(uplineInput)
    .query(({ ctx, input }) => upline(ctx.db, ctx.ability, input)),
  downline: procedureFor('read', 'Partner')
    .input(downlineInput)
    .query(({ ctx, input }) => downline(ctx.db, ctx.ability, input)),
  assignManager: procedureFor('assign', 'Partner')
    .input(assignManagerInput)
    .mutation(({ ctx, input }) => assignManager(ctx.db, ctx.actor, ctx.ability, input)),
};
