import {
  acknowledgeProgramUpdate,
  programUpdateStatus,
  publishProgramUpdate,
} from '../domain/program-updates/program-updates.js';
import { acknowledgeUpdateInput, publishUpdateInput, updateStatusInput } from '../domain/program-updates/schemas.js';
import { procedureFor } from '../trpc.js';

/** Procedures of `programs.*`, spread into the programs router. */
export const programUpdateProcedures = {
  /** Notifies the program's active partners; they are the ones asked to acknowledge. */
  publishUpdate: procedureFor('publish', 'ProgramUpdate')
    .input(publishUpdateInput)
    .mutation(({ ctx, input }) => publishProgramUpdate(ctx.db, ctx.actor, input)),
  /** Recorded on the partner's behalf (their portal or their manager); idempotent. */
  acknowledgeUpdate: procedureFor('update', 'Partner')
    .input(acknowledgeUpdateInput)
    .mutation(({ ctx, input }) => acknowledgeProgramUpdate(ctx.db, ctx, input)),
  updateStatus: procedureFor('read', 'ProgramUpdate')
    .input(updateStatusInput)
    .query(({ ctx, input }) => programUpdateStatus(ctx.db, ctx.ability, input)),
};
