import { eq, sql } from 'drizzle-orm';
import { accounts } from '../../../db/schema/partners.js';
import type { Database, Executor } from '../../../db/client.js';
import type { Actor } from '../../context.js';
import { AppError, notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { accountColumns, requireAccount, type Account } from './accounts.js';
import type { SetAccountParentInput } from './schemas.js';

/** Serializes account moves, so two moves that would together form a cycle cannot both pass the check. */
async function lockAccountTreeForMove(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('affiliate-ops:account_tree', 0))`);
}

/** Whether `accountId` is `candidateId` itself or one of its ancestors, walking parent links up from the candidate. */
async function isAncestorOrSelf(tx: Executor, accountId: string, candidateId: string): Promise<boolean> {
  const result = await tx.execute<{ found: boolean }>(sql`
    with recursive chain(id) as (
      select ${candidateId}::uuid
      union
      select a.parent_account_id from accounts a join chain on a.id = chain.id where a.parent_account_id is not null
    )
    select exists (select 1 from chain where id = ${accountId}::uuid) as found`);
  return result.rows[0]?.found === true;
}

export async function setAccountParent(db: Database, actor: Actor, input: SetAccountParentInput): Promise<Account> {
  const { accountId, parentAccountId } = input;
  return db.transaction(async (tx) => {
    await lockAccountTreeForMove(tx);
    const [before] = await tx.select(accountColumns).from(accounts).where(eq(accounts.id, accountId)).for('no key update');
    if (!before) throw notFound('Account', accountId);
    if (before.parentAccountId === parentAccountId) return before;
    if (parentAccountId !== null) {
      await requireAccount(tx, parentAccountId);
      if (await isAncestorOrSelf(tx, accountId, parentAccountId)) {
        throw new AppError(
          'CONFLICT',
          `Account ${parentAccountId} is below account ${accountId}; moving ${accountId} under it would create a cycle`,
          { accountId, parentAccountId },
        );
      }
    }
    const [after] = await tx
      .update(accounts)
      .set({ parentAccountId, updatedAt: new Date() })
      .where(eq(accounts.id, accountId))
      .returning(accountColumns);
    if (!after) throw notFound('Account', accountId);
    await recordActivity(tx, actor, {
      action: 'account.set_parent',
      entityType: 'account',
      entityId: accountId,
      before: { parentAccountId: before.parentAccountId },
      after: { parentAccountId },
    });
    return after;
  });
}
