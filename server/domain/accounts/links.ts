import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { accounts, partnerAccounts, partners } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { AppAbility } from '../../auth/abilities.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { CLOSED_PARTNER_STATUSES, lockPartnerFor, partnersAccessible, partnerSummaryColumns, type PartnerSummary } from '../hierarchy/partner-view.js';
import { checkCursor, toPage, type Page } from '../shared/pagination.js';
import { accountsReadable } from './accounts.js';
import type { AccountIdInput, AccountLinkRole, LinkAccountInput, PartnerAccountsInput, UnlinkAccountInput } from './schemas.js';

export const linkColumns = {
  id: partnerAccounts.id,
  partnerId: partnerAccounts.partnerId,
  accountId: partnerAccounts.accountId,
  role: partnerAccounts.role,
  linkedAt: partnerAccounts.linkedAt,
  linkedBy: partnerAccounts.linkedBy,
  endedAt: partnerAccounts.endedAt,
  endedBy: partnerAccounts.endedBy,
};
export interface AccountLink {
  id: string;
  partnerId: string;
  accountId: string;
  role: AccountLinkRole;
  linkedAt: Date;
  linkedBy: string;
  endedAt: Date | null;
  endedBy: string | null;
}

/** Every change to an account's links locks the account row first, so changes to one account run one at a time. */
async function lockAccount(tx: Executor, accountId: string): Promise<void> {
  const [row] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('no key update');
  if (!row) throw notFound('Account', accountId);
}

function openLink(accountId: string, role: AccountLinkRole, partnerId?: string): SQL | undefined {
  return and(
    eq(partnerAccounts.accountId, accountId),
    eq(partnerAccounts.role, role),
    isNull(partnerAccounts.endedAt),
    partnerId ? eq(partnerAccounts.partnerId, partnerId) : undefined,
  );
}

async function endLink(tx: Executor, actor: Actor, linkId: string): Promise<AccountLink> {
  const [ended] = await tx
    .update(partnerAccounts)
    .set({ endedAt: sql`now()`, endedBy: actor.userId })
    .where(and(eq(partnerAccounts.id, linkId), isNull(partnerAccounts.endedAt)))
    .returning(linkColumns);
  if (!ended) throw new Error(`link ${linkId} was ended under the account lock`);
  return ended;
}

/**
 * Links a partner to a customer account. An account has one referrer at a time: linking a second one is CONFLICT
 * naming the current referrer, unless `transfer` says to end the current referrer link and create the new one,
 * audited as a transfer. A Partner Manager must manage both partners of a transfer.
 */
export async function linkAccount(db: Database, actor: Actor, ability: AppAbility, input: LinkAccountInput): Promise<AccountLink> {
  const { partnerId, accountId, role } = input;
  return db.transaction(async (tx) => {
    await lockAccount(tx, accountId);
    const partner = await lockPartnerFor(tx, ability, 'update', partnerId, 'share');
    if (CLOSED_PARTNER_STATUSES.includes(partner.status)) {
      throw new AppError('CONFLICT', `Partner ${partnerId} is ${partner.status}; it cannot be linked to accounts`, {
        partnerId,
        current: partner.status,
      });
    }
    const [same] = await tx.select({ id: partnerAccounts.id }).from(partnerAccounts).where(openLink(accountId, role, partnerId));
    if (same) {
      throw new AppError('CONFLICT', `Partner ${partnerId} is already linked to account ${accountId} as ${role}`, { linkId: same.id });
    }

    let replaced: AccountLink | undefined;
    if (role === 'referrer') {
      const [current] = await tx
        .select({ id: partnerAccounts.id, partnerId: partnerAccounts.partnerId, referralCode: partners.referralCode })
        .from(partnerAccounts)
        .innerJoin(partners, eq(partners.id, partnerAccounts.partnerId))
        .where(openLink(accountId, 'referrer'));
      if (current && !input.transfer) {
        throw new AppError(
          'CONFLICT',
          `Account ${accountId} is already referred by partner ${current.partnerId} (${current.referralCode}); ` +
            'pass transfer: true to move the account to the new referrer',
          { currentPartnerId: current.partnerId, currentLinkId: current.id },
        );
      }
      if (current) {
        await lockPartnerFor(tx, ability, 'update', current.partnerId, 'share');
        replaced = await endLink(tx, actor, current.id);
      }
    }

    const [created] = await tx
      .insert(partnerAccounts)
      .values({ partnerId, accountId, role, linkedBy: actor.userId })
      .returning(linkColumns);
    if (!created) throw new Error('insert returned no row');
    await recordActivity(
      tx,
      actor,
      replaced
        ? {
            action: 'account.transfer_referrer',
            entityType: 'account',
            entityId: accountId,
            before: { referringPartnerId: replaced.partnerId, linkId: replaced.id },
            after: { referringPartnerId: partnerId, linkId: created.id },
          }
        : {
            action: 'partner.link_account',
            entityType: 'partner',
            entityId: partnerId,
            before: null,
            after: { linkId: created.id, accountId, role },
          },
    );
    return created;
  });
}

/** Ends the open link; ended links stay as history. */
export async function unlinkAccount(db: Database, actor: Actor, ability: AppAbility, input: UnlinkAccountInput): Promise<AccountLink> {
  const { partnerId, accountId, role } = input;
  return db.transaction(async (tx) => {
    await lockAccount(tx, accountId);
    await lockPartnerFor(tx, ability, 'update', partnerId, 'share');
    const [link] = await tx.select({ id: partnerAccounts.id }).from(partnerAccounts).where(openLink(accountId, role, partnerId));
    if (!link) throw new AppError('NOT_FOUND', `Partner ${partnerId} has no open ${role} link to account ${accountId}`, { partnerId, accountId, role });
    const ended = await endLink(tx, actor, link.id);
    await recordActivity(tx, actor, {
      action: 'partner.unlink_account',
      entityType: 'partner',
      entityId: partnerId,
      before: { linkId: ended.id, accountId, role },
      after: null,
    });
    return ended;
  });
}

/** Links in the order they were made; the cursor is the last link's id. */
function afterLink(cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const id = checkCursor(cursor, (c) => (z.uuid().safeParse(c).success ? c : undefined));
  return sql`(${partnerAccounts.linkedAt}, ${partnerAccounts.id}) > (select cursor_link.created_at, cursor_link.id from ${partnerAccounts} cursor_link where cursor_link.id = ${id})`;
}

export type PartnerAccountLink = AccountLink & { account: { id: string; name: string } };

/** A partner's open account links, or all of them with `includeEnded`. */
export async function partnerAccountLinks(db: Executor, ability: AppAbility, input: PartnerAccountsInput): Promise<Page<PartnerAccountLink>> {
  const [partner] = await db
    .select({ id: partners.id })
    .from(partners)
    .where(and(eq(partners.id, input.partnerId), partnersAccessible(ability, 'read')));
  if (!partner) throw notFound('Partner', input.partnerId);
  const rows = await db
    .select({ ...linkColumns, account: { id: accounts.id, name: accounts.name } })
    .from(partnerAccounts)
    .innerJoin(accounts, eq(accounts.id, partnerAccounts.accountId))
    .where(
      and(
        eq(partnerAccounts.partnerId, input.partnerId),
        input.includeEnded ? undefined : isNull(partnerAccounts.endedAt),
        accountsReadable(ability),
        afterLink(input.cursor),
      ),
    )
    .orderBy(asc(partnerAccounts.linkedAt), asc(partnerAccounts.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit, (row) => row.id);
}

export type ReferralHistoryEntry = AccountLink & { partner: PartnerSummary };

/** Every referrer the account has had, oldest first; the open link, if any, is last. */
export async function referralHistory(db: Executor, ability: AppAbility, input: AccountIdInput): Promise<{ accountId: string; items: ReferralHistoryEntry[] }> {
  const [account] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.id, input.accountId), accountsReadable(ability)));
  if (!account) throw notFound('Account', input.accountId);
  const items = await db
    .select({ ...linkColumns, partner: partnerSummaryColumns(ability) })
    .from(partnerAccounts)
    .innerJoin(partners, eq(partners.id, partnerAccounts.partnerId))
    .where(and(eq(partnerAccounts.accountId, input.accountId), eq(partnerAccounts.role, 'referrer'), partnersAccessible(ability, 'read')))
    .orderBy(asc(partnerAccounts.linkedAt), asc(partnerAccounts.id));
  return { accountId: input.accountId, items };
}
