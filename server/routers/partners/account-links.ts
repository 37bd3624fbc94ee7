import { linkAccount, partnerAccountLinks, unlinkAccount } from '../../domain/accounts/links.js';
import { linkAccountInput, partnerAccountsInput, unlinkAccountInput } from '../../domain/accounts/schemas.js';
import { procedureFor } from '../../trpc.js';

/** Procedures of `partners.*`, merged in ./index.ts. */
export const accountLinkProcedures = {
  linkAccount: procedureFor('update', 'Partner')
    .input(linkAccountInput)
    .mutation(({ ctx, input }) => linkAccount(ctx.db, ctx.actor, ctx.ability, input)),
  unlinkAccount: procedureFor('update', 'Partner')
    .input(unlinkAccountInput)
    .mutation(({ ctx, input }) => unlinkAccount(ctx.db, ctx.actor, ctx.ability, input)),
  accounts: procedureFor('read', 'Partner')
    .input(partnerAccountsInput)
    .query(({ ctx, input }) => partnerAccountLinks(ctx.db, ctx.ability, input)),
};
