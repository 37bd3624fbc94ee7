import { and, asc, count, eq, gt, ilike, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { accounts, partnerAccounts } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import { accessibleWhere } from '../../auth/sql.js';
import type { Actor } from '../../context.js';
import { AppError, notFound, PG_UNIQUE_VIOLATION, pgErrorCode } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { checkCursor, toPage, type Page } from '../shared/pagination.js';
import type { AccountChildrenInput, AccountIdInput, CreateAccountInput, ListAccountsInput } from './schemas.js';

export const accountColumns = {
  id: accounts.id,
  name: accounts.name,
  externalRef: accounts.externalRef,
  emailDomain: accounts.emailDomain,
  parentAccountId: accounts.parentAccountId,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
};
export interface Account {
  id: string;
  name: string;
  externalRef: string | null;
  emailDomain: string | null;
  parentAccountId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function accountsReadable(ability: AppAbility): SQL {
  return accessibleWhere(ability, 'read', 'Account', { id: accounts.id, parentAccountId: accounts.parentAccountId });
}

const uuidCursor = (cursor: string) => checkCursor(cursor, (c) => (z.uuid().safeParse(c).success ? c : undefined));

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function createAccount(db: Database, actor: Actor, input: CreateAccountInput): Promise<Account> {
  try {
    return await db.transaction(async (tx) => {
      if (input.parentAccountId) await requireAccount(tx, input.parentAccountId);
      const [created] = await tx.insert(accounts).values(input).returning(accountColumns);
      if (!created) throw new Error('insert returned no row');
      await recordActivity(tx, actor, { action: 'account.create', entityType: 'account', entityId: created.id, after: { ...created } });
      return created;
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      throw new AppError('CONFLICT', `An account with externalRef ${input.externalRef} already exists`, { field: 'externalRef' });
    }
    throw error;
  }
}

/** Throws NOT_FOUND unless the account exists. */
export async function requireAccount(db: Executor, accountId: string): Promise<void> {
  const [row] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
  if (!row) throw notFound('Account', accountId);
}

export type AccountDetail = Account & {
  /** The partner that refers this account now, from its open referrer link. */
  referrer: { partnerId: string; linkId: string; linkedAt: Date } | null;
  childCount: number;
};

export async function getAccount(db: Executor, ability: AppAbility, input: AccountIdInput): Promise<AccountDetail> {
  const children = db
    .select({ n: count() })
    .from(accounts)
    .where(eq(accounts.parentAccountId, input.accountId));
  const [row] = await db
    .select({
      ...accountColumns,
      referrerPartnerId: partnerAccounts.partnerId,
      referrerLinkId: partnerAccounts.id,
      referrerLinkedAt: partnerAccounts.linkedAt,
      childCount: sql<number>`(${children})::int`,
    })
    .from(accounts)
    .leftJoin(
      partnerAccounts,
      and(eq(partnerAccounts.accountId, accounts.id), eq(partnerAccounts.role, 'referrer'), isNull(partnerAccounts.endedAt)),
    )
    .where(and(eq(accounts.id, input.accountId), accountsReadable(ability)));
  if (!row) throw notFound('Account', input.accountId);
  const { referrerPartnerId, referrerLinkId, referrerLinkedAt, ...account } = row;
  const referrer =
    referrerPartnerId && referrerLinkId && referrerLinkedAt
      ? { partnerId: referrerPartnerId, linkId: referrerLinkId, linkedAt: referrerLinkedAt }
      : null;
  return { ...account, referrer };
}

/** Ordered by id; the cursor is the last id. */
export async function listAccounts(db: Executor, ability: AppAbility, input: ListAccountsInput): Promise<Page<Account>> {
  const referredBy = input.referringPartnerId
    ? sql`exists (
        select 1 from ${partnerAccounts}
        where ${partnerAccounts.accountId} = ${accounts.id} and ${partnerAccounts.partnerId} = ${input.referringPartnerId}
          and ${partnerAccounts.role} = 'referrer' and ${partnerAccounts.endedAt} is null)`
    : undefined;
  const filters: (SQL | undefined)[] = [
    accountsReadable(ability),
    input.search ? ilike(accounts.name, `%${escapeLike(input.search)}%`) : undefined,
    input.parentAccountId === undefined
      ? undefined
      : input.parentAccountId === null
        ? isNull(accounts.parentAccountId)
        : eq(accounts.parentAccountId, input.parentAccountId),
    referredBy,
    input.cursor ? gt(accounts.id, uuidCursor(input.cursor)) : undefined,
  ];
  const rows = await db
    .select(accountColumns)
    .from(accounts)
    .where(and(...filters))
    .orderBy(asc(accounts.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

/** The direct children of an account. */
export async function accountChildren(db: Executor, ability: AppAbility, input: AccountChildrenInput): Promise<Page<Account>> {
  const [parent] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.id, input.accountId), accountsReadable(ability)));
  if (!parent) throw notFound('Account', input.accountId);
  return listAccounts(db, ability, { parentAccountId: input.accountId, cursor: input.cursor, limit: input.limit });
}
