import { archiveProgram, createProgram, getProgram, listPrograms } from '../domain/programs/programs.js';
import {
  createProgramInput,
  listProgramsInput,
  listVersionsInput,
  programRef,
  updateConfigurationInput,
} from '../domain/programs/schemas.js';
import { listProgramVersions, updateProgramConfiguration } from '../domain/programs/versions.js';
import { procedureFor, router } from '../trpc.js';
import { programUpdateProcedures } from './program-updates.js';

export const programsRouter = router({
  create: procedureFor('create', 'Program')
    .input(createProgramInput)
    .mutation(({ ctx, input }) => createProgram(ctx.db, ctx.actor, input)),
  list: procedureFor('read', 'Program')
    .input(listProgramsInput)
    .query(({ ctx, input }) => listPrograms(ctx.db, ctx.ability, input)),
  /** The program with its current configuration version. */
  get: procedureFor('read', 'Program')
    .input(programRef)
    .query(({ ctx, input }) => getProgram(ctx.db, ctx.ability, input.programId)),
  archive: procedureFor('update', 'Program')
    .input(programRef)
    .mutation(({ ctx, input }) => archiveProgram(ctx.db, ctx.actor, input.programId)),
  versions: procedureFor('read', 'Program')
    .input(listVersionsInput)
    .query(({ ctx, input }) => listProgramVersions(ctx.db, ctx.ability, input)),
  updateConfiguration: procedureFor('update', 'Program')
    .input(updateConfigurationInput)
    .mutation(({ ctx, input }) => updateProgramConfiguration(ctx.db, ctx.actor, input)),
  ...programUpdateProcedures,
});
