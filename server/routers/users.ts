import { createUser, createUserInput, getUser, listUsers, listUsersInput, updateUser, updateUserInput } from '../domain/users/users.js';
import { authedProcedure, procedureFor, router } from '../trpc.js';

export const usersRouter = router({
  /** The caller as the token says, and their staff record when there is one. */
  me: authedProcedure.query(async ({ ctx }) => {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ctx.principal.userId);
    return {
      userId: ctx.principal.userId,
      roles: ctx.principal.roles,
      user: isUuid ? await getUser(ctx.db, ctx.principal.userId) : null,
    };
  }),
  list: procedureFor('read', 'User')
    .input(listUsersInput)
    .query(({ ctx, input }) => listUsers(ctx.db, ctx.ability, input)),
  create: procedureFor('create', 'User')
    .input(createUserInput)
    .mutation(({ ctx, input }) => createUser(ctx.db, ctx.actor, input)),
  update: procedureFor('update', 'User')
    .input(updateUserInput)
    .mutation(({ ctx, input }) => updateUser(ctx.db, ctx.actor, input)),
});
