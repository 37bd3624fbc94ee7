import { setAccountParent } from '../domain/accounts/account-tree.js';
import { accountChildren, createAccount, getAccount, listAccounts } from '../domain/accounts/accounts.js';
import { referralHistory } from '../domain/accounts/links.js';
import { accountChildrenInput, accountIdInput, createAccountInput, listAccountsInput, setAccountParentInput } from '../domain/accounts/schemas.js';
import { procedureFor, router } from '../trpc.js';

/** Customer accounts, their hierarchy and who referred them. */
export const accountsRouter = router({
  create: procedureFor('create', 'Account')
    .input(createAccountInput)
    .mutation(({ ctx, input }) => createAccount(ctx.db, ctx.actor, input)),
  get: procedureFor('read', 'Account')
    .input(accountIdInput)
    .query(({ ctx, input }) => getAccount(ctx.db, ctx.ability, input)),
  list: procedureFor('read', 'Account')
    .input(listAccountsInput)
    .query(({ ctx, input }) => listAccounts(ctx.db, ctx.ability, input)),
  setParent: procedureFor('update', 'Account')
    .input(setAccountParentInput)
    .mutation(({ ctx, input }) => setAccountParent(ctx.db, ctx.actor, input)),
  children: procedureFor('read', 'Account')
    .input(accountChildrenInput)
    .query(({ ctx, input }) => accountChildren(ctx.db, ctx.ability, input)),
  referralHistory: procedureFor('read', 'Account')
    .input(accountIdInput)
    .query(({ ctx, input }) => referralHistory(ctx.db, ctx.ability, input)),
});
