import { z } from 'zod';
import { partnerAccounts } from '../../../db/schema/partners.js';
import { pageInput } from '../shared/pagination.js';

export const ACCOUNT_LINK_ROLES = partnerAccounts.role.enumValues;
export type AccountLinkRole = (typeof ACCOUNT_LINK_ROLES)[number];

const accountName = z.string().trim().min(1).max(200);

export const createAccountInput = z.object({
  name: accountName,
  /** The account's id in the company's own systems (CRM, billing); unique when given. */
  externalRef: z.string().trim().min(1).max(200).optional(),
  emailDomain: z
    .string()
    .trim()
    .toLowerCase()
    .max(253)
    .regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a domain such as example.com')
    .optional(),
  parentAccountId: z.uuid().optional(),
});
export type CreateAccountInput = z.infer<typeof createAccountInput>;

export const accountIdInput = z.object({ accountId: z.uuid() });
export type AccountIdInput = z.infer<typeof accountIdInput>;

export const listAccountsInput = pageInput.extend({
  /** Part of the account's name, case-insensitive. */
  search: accountName.optional(),
  /** Children of this account; null: only top-level accounts. */
  parentAccountId: z.uuid().nullable().optional(),
  /** Accounts this partner currently refers. */
  referringPartnerId: z.uuid().optional(),
});
export type ListAccountsInput = z.infer<typeof listAccountsInput>;

export const setAccountParentInput = z
  .object({
    accountId: z.uuid(),
    /** The new parent account; null makes the account top-level. */
    parentAccountId: z.uuid().nullable(),
  })
  .refine((input) => input.parentAccountId !== input.accountId, {
    message: 'an account cannot be its own parent',
    path: ['parentAccountId'],
  });
export type SetAccountParentInput = z.infer<typeof setAccountParentInput>;

export const accountChildrenInput = pageInput.extend({ accountId: z.uuid() });
export type AccountChildrenInput = z.infer<typeof accountChildrenInput>;

export const linkAccountInput = z
  .object({
    partnerId: z.uuid(),
    accountId: z.uuid(),
    role: z.enum(ACCOUNT_LINK_ROLES),
    /** For role referrer: take the account over from its current referrer (audited) instead of refusing. */
    transfer: z.boolean().default(false),
  })
  .refine((input) => !input.transfer || input.role === 'referrer', {
    message: 'only a referrer link can be transferred',
    path: ['transfer'],
  });
export type LinkAccountInput = z.infer<typeof linkAccountInput>;

export const unlinkAccountInput = z.object({
  partnerId: z.uuid(),
  accountId: z.uuid(),
  role: z.enum(ACCOUNT_LINK_ROLES),
});
export type UnlinkAccountInput = z.infer<typeof unlinkAccountInput>;

export const partnerAccountsInput = pageInput.extend({
  partnerId: z.uuid(),
  /** Also ended links, oldest first with the open ones. */
  includeEnded: z.boolean().default(false),
});
export type PartnerAccountsInput = z.infer<typeof partnerAccountsInput>;
